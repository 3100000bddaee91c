DROP TABLE notifications;
DROP TABLE moderation_log;
DROP TABLE community_bans;
DROP TABLE moderation_flags;
