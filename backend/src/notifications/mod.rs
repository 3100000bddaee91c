//! In-app notifications: written in the same transaction as the event they announce, read in
//! the notification centre, counted in the header. The web app words them from `kind` and
//! `data` in the reader's language. Email and app IO deliveries go through the outbox: one by
//! one, or for email gathered in a [`digest`] once a day when the person chose it.

pub mod digest;
pub mod routes;

use chrono::NaiveDateTime;
use cortile_shared::community::{
    Channel, Notification, NotificationKind, NotificationSettings, Preference, UnreadCount,
};
use cortile_shared::Page;
use diesel::prelude::*;

use crate::auth::account::utc;
use crate::auth::Actor;
use crate::db::schema::{notification_channels, notification_preferences, notifications, users};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

/// Tells `user_id` about something. Call it inside the transaction of the event.
pub fn notify(
    conn: &mut DbConn,
    user_id: i64,
    kind: NotificationKind,
    data: serde_json::Value,
    link: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let id = crate::insert_returning_id!(
        conn,
        notifications::table,
        notifications::id,
        (
            notifications::user_id.eq(user_id),
            notifications::kind.eq(kind.as_str()),
            notifications::data.eq(data.to_string()),
            notifications::link.eq(link),
            notifications::created_at.eq(now),
        )
    )?;
    // Open pages hear of it when this transaction commits.
    crate::realtime::notify_in_tx(
        conn,
        user_id,
        &Notification {
            id,
            kind,
            data: data.clone(),
            link: link.to_owned(),
            created_at: crate::auth::account::utc(now),
            read_at: None,
        },
    )?;
    // Other channels: only those the person chose, with their consent. Who chose the daily
    // digest gets this email in it instead (see `digest`).
    let settings = settings_of(conn, user_id)?;
    let wants = |channel: Channel| {
        settings
            .preferences
            .iter()
            .any(|p| p.kind == kind && p.channel == channel && p.enabled)
    };
    if let Some(to) = settings.email.as_deref().filter(|_| settings.email_consent) {
        if wants(Channel::Email) && !settings.daily_digest {
            let locale: String = users::table
                .find(user_id)
                .select(users::locale)
                .first(conn)?;
            let (subject, text) = words(kind, &data, &locale);
            crate::outbox::enqueue(
                conn,
                "email",
                &format!("notification-{id}-email"),
                &serde_json::json!({"to": to, "subject": subject, "text": text, "link": link}),
                now,
            )?;
        }
    }
    if settings.io_consent && wants(Channel::Io) {
        let code: Option<String> = users::table
            .find(user_id)
            .select(users::fiscal_code)
            .first(conn)?;
        if let Some(code) = code {
            let locale: String = users::table
                .find(user_id)
                .select(users::locale)
                .first(conn)?;
            let (subject, text) = words(kind, &data, &locale);
            crate::outbox::enqueue(
                conn,
                "io",
                &format!("notification-{id}-io"),
                &serde_json::json!({"fiscal_code": code, "subject": subject, "markdown": text}),
                now,
            )?;
        }
    }
    Ok(())
}

/// The subject and text of a notification sent outside the app, in the person's language.
pub(crate) fn words(
    kind: NotificationKind,
    data: &serde_json::Value,
    locale: &str,
) -> (String, String) {
    let f = |k: &str| {
        data.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (title, reason, actor, community) = (f("title"), f("reason"), f("actor"), f("community"));
    let en = locale == "en";
    let minutes = data.get("minutes").and_then(|v| v.as_i64()).unwrap_or(0);
    let rating = data.get("rating").and_then(|v| v.as_i64()).unwrap_or(0);
    let confirmed = f("outcome") == "confirm";
    let (subject, body) = match kind {
        NotificationKind::CommentOnPost if en => (
            "New comment on your post".to_owned(),
            format!("{actor} commented on your post «{title}»."),
        ),
        NotificationKind::CommentOnPost => (
            "Nuovo commento al tuo messaggio".to_owned(),
            format!("{actor} ha commentato il tuo messaggio «{title}»."),
        ),
        NotificationKind::ReplyToComment if en => (
            "New reply to your comment".to_owned(),
            format!("{actor} replied to your comment on «{title}»."),
        ),
        NotificationKind::ReplyToComment => (
            "Nuova risposta al tuo commento".to_owned(),
            format!("{actor} ha risposto al tuo commento su «{title}»."),
        ),
        NotificationKind::Moderated if en => (
            "A moderator acted on your post".to_owned(),
            format!("Your post «{title}» was moderated. Reason: {reason}"),
        ),
        NotificationKind::Moderated => (
            "Un moderatore è intervenuto".to_owned(),
            format!("Il tuo messaggio «{title}» è stato moderato. Motivo: {reason}"),
        ),
        NotificationKind::JoinApproved if en => (
            "Welcome".to_owned(),
            format!("Your request to join «{community}» was accepted."),
        ),
        NotificationKind::JoinApproved => (
            "Benvenuta, benvenuto".to_owned(),
            format!("La tua richiesta di entrare in «{community}» è stata accolta."),
        ),
        NotificationKind::Banned if en => (
            "You can no longer post".to_owned(),
            format!("You can no longer post in «{community}». Reason: {reason}"),
        ),
        NotificationKind::Banned => (
            "Non puoi più scrivere".to_owned(),
            format!("Non puoi più scrivere in «{community}». Motivo: {reason}"),
        ),
        NotificationKind::ExchangeProposed if en => (
            "A new exchange".to_owned(),
            format!("{actor} proposes an exchange on «{title}»."),
        ),
        NotificationKind::ExchangeProposed => (
            "Una nuova proposta di scambio".to_owned(),
            format!("{actor} propone uno scambio per «{title}»."),
        ),
        NotificationKind::ExchangeAccepted if en => (
            "Exchange accepted".to_owned(),
            format!("{actor} accepted the exchange «{title}»."),
        ),
        NotificationKind::ExchangeAccepted => (
            "Scambio accettato".to_owned(),
            format!("{actor} ha accettato lo scambio «{title}»."),
        ),
        NotificationKind::ExchangeCompleted if en => (
            "Please confirm the exchange".to_owned(),
            format!("{actor} says «{title}» is done: please confirm it."),
        ),
        NotificationKind::ExchangeCompleted => (
            "Conferma lo scambio".to_owned(),
            format!("{actor} dice che «{title}» è stato svolto: confermalo."),
        ),
        NotificationKind::ExchangeConfirmed if en => (
            "Exchange confirmed".to_owned(),
            format!("{actor} confirmed «{title}»: {minutes} minutes were credited to you."),
        ),
        NotificationKind::ExchangeConfirmed => (
            "Scambio confermato".to_owned(),
            format!("{actor} ha confermato «{title}»: ti sono stati accreditati {minutes} minuti."),
        ),
        NotificationKind::ExchangeCancelled if en => (
            "Exchange cancelled".to_owned(),
            format!("{actor} cancelled the exchange «{title}». {reason}"),
        ),
        NotificationKind::ExchangeCancelled => (
            "Scambio annullato".to_owned(),
            format!("{actor} ha annullato lo scambio «{title}». {reason}"),
        ),
        NotificationKind::ExchangeDisputed if en => (
            "Exchange disputed".to_owned(),
            format!("{actor} disputed the exchange «{title}»; the staff will mediate. Reason: {reason}"),
        ),
        NotificationKind::ExchangeDisputed => (
            "Scambio contestato".to_owned(),
            format!("{actor} ha contestato lo scambio «{title}»; interverrà il personale. Motivo: {reason}"),
        ),
        NotificationKind::ExchangeResolved if en && confirmed => (
            "Dispute resolved".to_owned(),
            format!("The staff confirmed the exchange «{title}» ({minutes} minutes). {reason}"),
        ),
        NotificationKind::ExchangeResolved if en => (
            "Dispute resolved".to_owned(),
            format!("The staff cancelled the exchange «{title}». {reason}"),
        ),
        NotificationKind::ExchangeResolved if confirmed => (
            "Contestazione risolta".to_owned(),
            format!("Il personale ha confermato lo scambio «{title}» ({minutes} minuti). {reason}"),
        ),
        NotificationKind::ExchangeResolved => (
            "Contestazione risolta".to_owned(),
            format!("Il personale ha annullato lo scambio «{title}». {reason}"),
        ),
        NotificationKind::ExchangeMessage if en => (
            "New message".to_owned(),
            format!("{actor} wrote to you about «{title}»."),
        ),
        NotificationKind::ExchangeMessage => (
            "Nuovo messaggio".to_owned(),
            format!("{actor} ti ha scritto per «{title}»."),
        ),
        NotificationKind::ReviewReceived if en => (
            "New review".to_owned(),
            format!("{actor} reviewed you after «{title}»: {rating} out of 5."),
        ),
        NotificationKind::ReviewReceived => (
            "Nuova recensione".to_owned(),
            format!("{actor} ti ha recensito dopo «{title}»: {rating} su 5."),
        ),
        NotificationKind::OrganisationVerified if en => (
            "Organisation verified".to_owned(),
            format!("«{title}» was verified: it may publish listings."),
        ),
        NotificationKind::OrganisationVerified => (
            "Organizzazione verificata".to_owned(),
            format!("«{title}» è stata verificata: può pubblicare annunci."),
        ),
        NotificationKind::ReportStatus | NotificationKind::ReportComment => {
            return crate::maintenance::notification_words(kind, data, en)
        }
        NotificationKind::Other => ("Cortile".to_owned(), String::new()),
    };
    (format!("Cortile: {subject}"), body)
}

/// Where and how a person wants to be reached (nothing until they choose).
pub fn settings_of(conn: &mut DbConn, user_id: i64) -> AppResult<NotificationSettings> {
    let channels: Option<(Option<String>, bool, bool, bool)> = notification_channels::table
        .find(user_id)
        .select((
            notification_channels::email,
            notification_channels::email_consent,
            notification_channels::io_consent,
            notification_channels::daily_digest,
        ))
        .first(conn)
        .optional()?;
    let (email, email_consent, io_consent, daily_digest) = channels.unwrap_or_default();
    let preferences = notification_preferences::table
        .filter(notification_preferences::user_id.eq(user_id))
        .select((
            notification_preferences::kind,
            notification_preferences::channel,
            notification_preferences::enabled,
        ))
        .load::<(String, String, bool)>(conn)?
        .into_iter()
        .map(|(k, c, enabled)| Preference {
            kind: kind(&k),
            channel: if c == "io" {
                Channel::Io
            } else {
                Channel::Email
            },
            enabled,
        })
        .collect();
    Ok(NotificationSettings {
        email,
        email_consent,
        io_consent,
        daily_digest,
        preferences,
    })
}

/// Saves my notification settings.
pub fn save_settings(
    conn: &mut DbConn,
    actor: &Actor,
    s: &NotificationSettings,
    now: NaiveDateTime,
) -> AppResult<NotificationSettings> {
    let me = actor.require()?.principal.id.0;
    let email = s.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = email {
        let ok = e.len() <= 254
            && !e.contains(' ')
            && e.split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'));
        if !ok {
            return Err(AppError::invalid(
                "email",
                "invalid_format",
                "this is not an email address",
            ));
        }
    }
    if s.email_consent && email.is_none() {
        return Err(AppError::invalid(
            "email",
            "required",
            "give an email address to receive emails",
        ));
    }
    if s.preferences
        .iter()
        .any(|p| p.kind == NotificationKind::Other)
    {
        return Err(AppError::invalid(
            "preferences",
            "invalid_value",
            "unknown kind of notification",
        ));
    }
    crate::db::write_tx(conn, |conn| -> AppResult<()> {
        // The digest's mark survives a save while the digest stays on; when it is turned on,
        // the first digest starts from now (what came before was sent one by one).
        let before: Option<(bool, Option<NaiveDateTime>)> = notification_channels::table
            .find(me)
            .select((
                notification_channels::daily_digest,
                notification_channels::last_digest_at,
            ))
            .first(conn)
            .optional()?;
        let last_digest_at = match before {
            Some((true, last)) => last,
            _ => Some(now),
        };
        diesel::delete(notification_channels::table.find(me)).execute(conn)?;
        diesel::insert_into(notification_channels::table)
            .values((
                notification_channels::user_id.eq(me),
                notification_channels::email.eq(email),
                notification_channels::email_consent.eq(s.email_consent),
                notification_channels::io_consent.eq(s.io_consent),
                notification_channels::daily_digest.eq(s.daily_digest),
                notification_channels::updated_at.eq(now),
                notification_channels::last_digest_at.eq(last_digest_at),
            ))
            .execute(conn)?;
        diesel::delete(
            notification_preferences::table.filter(notification_preferences::user_id.eq(me)),
        )
        .execute(conn)?;
        // One choice per kind and channel: the last one given wins.
        let mut chosen: Vec<&Preference> = Vec::new();
        for p in s.preferences.iter().rev() {
            if !chosen
                .iter()
                .any(|c| c.kind == p.kind && c.channel == p.channel)
            {
                chosen.push(p);
            }
        }
        for p in chosen {
            diesel::insert_into(notification_preferences::table)
                .values((
                    notification_preferences::user_id.eq(me),
                    notification_preferences::kind.eq(p.kind.as_str()),
                    notification_preferences::channel.eq(p.channel.as_str()),
                    notification_preferences::enabled.eq(p.enabled),
                ))
                .execute(conn)?;
        }
        Ok(())
    })?;
    settings_of(conn, me)
}

pub(crate) fn kind(raw: &str) -> NotificationKind {
    serde_json::from_value(serde_json::Value::String(raw.to_owned()))
        .unwrap_or(NotificationKind::Other)
}

/// My notifications, newest first.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Page<Notification>> {
    let me = actor.require()?.principal.id.0;
    let mut q = notifications::table
        .filter(notifications::user_id.eq(me))
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(notifications::id.lt(after));
    }
    let mut rows: Vec<(
        i64,
        String,
        String,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
    )> = q
        .order(notifications::id.desc())
        .limit(limit + 1)
        .select((
            notifications::id,
            notifications::kind,
            notifications::data,
            notifications::link,
            notifications::created_at,
            notifications::read_at,
        ))
        .load(conn)?;
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|r| crate::pagination::encode_cursor(&r.0))
    } else {
        None
    };
    Ok(Page {
        items: rows
            .into_iter()
            .map(|(id, k, data, link, at, read)| Notification {
                id,
                kind: kind(&k),
                data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                link,
                created_at: utc(at),
                read_at: read.map(utc),
            })
            .collect(),
        next,
    })
}

pub fn unread(conn: &mut DbConn, actor: &Actor) -> AppResult<UnreadCount> {
    let me = actor.require()?.principal.id.0;
    let n: i64 = notifications::table
        .filter(notifications::user_id.eq(me))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(UnreadCount { unread: n })
}

/// Marks one of my notifications read; 404 if it is not mine.
pub fn mark_read(conn: &mut DbConn, actor: &Actor, id: i64, now: NaiveDateTime) -> AppResult<()> {
    let me = actor.require()?.principal.id.0;
    let mine: i64 = notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::user_id.eq(me))
        .count()
        .get_result(conn)?;
    if mine == 0 {
        return Err(AppError::not_found(format!(
            "notification {id} does not exist"
        )));
    }
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)?;
    Ok(())
}

pub fn mark_all_read(conn: &mut DbConn, actor: &Actor, now: NaiveDateTime) -> AppResult<()> {
    let me = actor.require()?.principal.id.0;
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(me))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)?;
    Ok(())
}
