DROP TABLE room_sanctions;
DROP TABLE user_blocks;
DROP TABLE read_markers;
DROP TABLE messages;
DROP TABLE room_events;
DROP TABLE room_members;
DROP TABLE rooms;
