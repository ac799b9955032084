//! [`Message`]: one message to publish, with every attribute Hotsock documents, checked before it is sent.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind, Result};

/// The event that writes channel storage.
pub const STORAGE_SET_EVENT: &str = "hotsock.channelStorageSet";

/// The largest `data` Hotsock accepts, serialized: 32 KiB.
pub const MAX_DATA_BYTES: usize = 32 * 1024;

/// The largest `store` value: about 100 years, in seconds.
pub const MAX_STORE_SECONDS: i64 = 3_155_695_200;

/// Lambda's limit on a synchronous invocation's request payload: 6 MB.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// The attributes with a method of their own, which `extra` must not name.
const KNOWN_ATTRIBUTES: [&str; 10] = [
    "event",
    "channel",
    "data",
    "deduplicationId",
    "eagerIdGeneration",
    "emitPubSubEvent",
    "key",
    "scheduleExpression",
    "scheduleExpressionTimezone",
    "store",
];

/// A JSON value serialized when it was set, or the error serializing it gave (reported by `validate`).
#[derive(Clone)]
enum Json {
    Ok(Box<RawValue>),
    Failed(Arc<serde_json::Error>),
}

impl Json {
    fn new<T: Serialize + ?Sized>(value: &T) -> Json {
        match serde_json::value::to_raw_value(value) {
            Ok(raw) => Json::Ok(raw),
            Err(e) => Json::Failed(Arc::new(e)),
        }
    }
}

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Ok(raw) => f.write_str(raw.get()),
            Json::Failed(e) => write!(f, "<failed to serialize: {e}>"),
        }
    }
}

/// A message to publish to one channel.
///
/// `Message::new(channel, event)` plus one method per attribute Hotsock documents, and
/// [`extra`](Message::extra) for attributes the server adds later. Nothing is checked while building:
/// [`validate`](Message::validate) (which [`Publisher::publish`](crate::Publisher::publish) calls before
/// anything is sent) checks every rule and names the attribute at fault. The JSON sent is camelCase with
/// `event` and `channel` first, as the Ruby gem sends it, and holds only the attributes that were set: no
/// `null`, no snake_case key.
///
/// ```
/// # fn main() -> hotsock::Result<()> {
/// let message = hotsock::Message::new("chat.room-1", "message.created")
///     .data(&serde_json::json!({"text": "hello"}))
///     .deduplication_id("msg-7f3a")
///     .store(86_400);
/// assert_eq!(
///     message.to_json()?,
///     br#"{"event":"message.created","channel":"chat.room-1","data":{"text":"hello"},"deduplicationId":"msg-7f3a","store":86400}"#
/// );
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Message {
    channel: String,
    event: String,
    data: Option<Json>,
    deduplication_id: Option<String>,
    eager_id_generation: Option<bool>,
    emit_pub_sub_event: Option<bool>,
    key: Option<String>,
    schedule_expression: Option<String>,
    schedule_expression_timezone: Option<String>,
    store: Option<i64>,
    extra: Vec<(String, Json)>,
}

impl Message {
    /// A message for `event` on `channel`.
    pub fn new(channel: impl Into<String>, event: impl Into<String>) -> Message {
        Message {
            channel: channel.into(),
            event: event.into(),
            data: None,
            deduplication_id: None,
            eager_id_generation: None,
            emit_pub_sub_event: None,
            key: None,
            schedule_expression: None,
            schedule_expression_timezone: None,
            store: None,
            extra: Vec::new(),
        }
    }

    /// A message from its JSON form, the payload the publish function takes (`{"channel": …, "event": …,
    /// "data": …, …}`), checked with [`validate`](Message::validate). Attributes this crate does not know
    /// are kept as [`extra`](Message::extra).
    ///
    /// # Errors
    /// [`ErrorKind::Validation`] when the text is not a JSON object, `channel` or `event` is missing, an
    /// attribute has the wrong JSON type (naming it), or a rule of `validate` is broken.
    ///
    /// ```
    /// let message = hotsock::Message::from_json(br#"{"channel":"chat","event":"hello","data":1}"#)?;
    /// assert_eq!(message.channel_name(), "chat");
    /// # Ok::<(), hotsock::Error>(())
    /// ```
    pub fn from_json(json: &[u8]) -> Result<Message> {
        use crate::issue::capture::JsonMembers;
        // members in order, each value as its JSON text: data and unknown attributes are sent as written
        let JsonMembers(members) = serde_json::from_slice(json).map_err(|e| {
            let message = if e.is_data() {
                "not a JSON object"
            } else {
                "not valid JSON"
            };
            Error::new(ErrorKind::Validation, message).with_source(e)
        })?;
        let invalid = |field: &str, message: &'static str| {
            Error::new(ErrorKind::Validation, message).with_field(field.to_owned())
        };
        let mut message = Message::new(String::new(), String::new());
        let (mut channel, mut event) = (None, None);
        for (i, (name, raw)) in members.iter().enumerate() {
            if members[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(invalid(name, "is given twice"));
            }
            let text = raw.get();
            let string = || {
                serde_json::from_str::<String>(text).map_err(|_| invalid(name, "must be a string"))
            };
            let boolean = || {
                serde_json::from_str::<bool>(text)
                    .map_err(|_| invalid(name, "must be true or false"))
            };
            match &**name {
                "channel" => channel = Some(string()?),
                "event" => event = Some(string()?),
                "data" => message.data = Some(Json::Ok((*raw).to_owned())),
                "deduplicationId" => message.deduplication_id = Some(string()?),
                "eagerIdGeneration" => message.eager_id_generation = Some(boolean()?),
                "emitPubSubEvent" => message.emit_pub_sub_event = Some(boolean()?),
                "key" => message.key = Some(string()?),
                "scheduleExpression" => message.schedule_expression = Some(string()?),
                "scheduleExpressionTimezone" => {
                    message.schedule_expression_timezone = Some(string()?);
                }
                "store" => {
                    message.store = Some(
                        serde_json::from_str::<i64>(text)
                            .map_err(|_| invalid("store", "must be a whole number"))?,
                    );
                }
                _ => message
                    .extra
                    .push((name.clone().into_owned(), Json::Ok((*raw).to_owned()))),
            }
        }
        message.channel = channel.ok_or_else(|| invalid("channel", "is required"))?;
        message.event = event.ok_or_else(|| invalid("event", "is required"))?;
        message.validate()?;
        Ok(message)
    }

    /// A write to channel storage: the `hotsock.channelStorageSet` event with `key` and `data` (`null` or
    /// `{}` clears the entry). Storage entries are kept forever unless [`store`](Message::store) says
    /// otherwise; `store(0)` is refused for them.
    pub fn storage_set<T: Serialize + ?Sized>(
        channel: impl Into<String>,
        key: impl Into<String>,
        data: &T,
    ) -> Message {
        Message::new(channel, STORAGE_SET_EVENT).key(key).data(data)
    }

    /// The message's payload: any JSON value of at most 32 KiB serialized. Binary data must be Base64 text.
    /// A value that fails to serialize is reported by [`validate`](Message::validate), never a panic.
    pub fn data<T: Serialize + ?Sized>(mut self, data: &T) -> Message {
        self.data = Some(Json::new(data));
        self
    }

    /// The message's payload as JSON text already serialized (checked to be valid JSON by `validate`).
    pub fn data_json(mut self, json: impl Into<String>) -> Message {
        self.data = Some(match RawValue::from_string(json.into()) {
            Ok(raw) => Json::Ok(raw),
            Err(e) => Json::Failed(Arc::new(e)),
        });
        self
    }

    /// A non-empty ID: a repeat with the same ID within 5 minutes is dropped silently. Keep it the same
    /// across retries of one message. Not recommended together with `eager_id_generation`.
    pub fn deduplication_id(mut self, id: impl Into<String>) -> Message {
        self.deduplication_id = Some(id.into());
        self
    }

    /// Assigns the message's ULID at publish time and returns it as
    /// [`PublishResponse::id`](crate::PublishResponse::id), at the cost of strict ordering within a few ms.
    pub fn eager_id_generation(mut self, enabled: bool) -> Message {
        self.eager_id_generation = Some(enabled);
        self
    }

    /// Emits a `hotsock.messagePublished` event to the installation's SNS topic or EventBridge bus.
    pub fn emit_pub_sub_event(mut self, enabled: bool) -> Message {
        self.emit_pub_sub_event = Some(enabled);
        self
    }

    /// The storage key, for `hotsock.channelStorageSet` only: 1 to 128 characters, no white space, `*`, `#`
    /// or `,`.
    pub fn key(mut self, key: impl Into<String>) -> Message {
        self.key = Some(key.into());
        self
    }

    /// Delivers the message later: an EventBridge Scheduler one-time expression `at(yyyy-mm-ddThh:mm:ss)`,
    /// in UTC unless [`schedule_expression_timezone`](Message::schedule_expression_timezone) says otherwise.
    pub fn schedule_expression(mut self, expression: impl Into<String>) -> Message {
        self.schedule_expression = Some(expression.into());
        self
    }

    /// Delivers the message at `time`: the `at(…)` expression made for you, in UTC, to the second (rounded
    /// down). Clears any time zone set before, since the expression is in UTC.
    pub fn schedule_at(self, time: SystemTime) -> Message {
        let expression = at_expression(crate::issue::unix_seconds(time));
        let mut message = self.schedule_expression(expression);
        message.schedule_expression_timezone = None;
        message
    }

    /// The time the schedule expression names, read as UTC (what it means when no
    /// [`schedule_expression_timezone`](Message::schedule_expression_timezone) is set); `None` without a
    /// valid `at(…)` expression. The inverse of [`schedule_at`](Message::schedule_at).
    pub fn schedule_time_utc(&self) -> Option<SystemTime> {
        let secs = at_expression_seconds(self.schedule_expression.as_deref()?)?;
        let offset = std::time::Duration::from_secs(secs.unsigned_abs());
        if secs >= 0 {
            SystemTime::UNIX_EPOCH.checked_add(offset)
        } else {
            SystemTime::UNIX_EPOCH.checked_sub(offset)
        }
    }

    /// The IANA time zone of the schedule expression (e.g. `America/New_York`); UTC by default. Only with a
    /// schedule expression.
    pub fn schedule_expression_timezone(mut self, timezone: impl Into<String>) -> Message {
        self.schedule_expression_timezone = Some(timezone.into());
        self
    }

    /// How long Hotsock keeps the message, in seconds: `0` not at all (the default for messages), `-1`
    /// forever, at most 3,155,695,200 (about 100 years).
    pub fn store(mut self, seconds: i64) -> Message {
        self.store = Some(seconds);
        self
    }

    /// Any other attribute, sent as given: for attributes the server adds after this crate was written.
    /// The name must be non-empty and not one that has a method of its own.
    pub fn extra<T: Serialize + ?Sized>(mut self, name: impl Into<String>, value: &T) -> Message {
        self.extra.push((name.into(), Json::new(value)));
        self
    }

    /// The channel.
    pub fn channel_name(&self) -> &str {
        &self.channel
    }

    /// The event.
    pub fn event_name(&self) -> &str {
        &self.event
    }

    /// Checks every rule Hotsock documents for a published message.
    ///
    /// # Errors
    /// [`ErrorKind::Validation`] naming the attribute (`channel`, `event`, `data`, `key`, `store`,
    /// `scheduleExpression`, …) and the rule it breaks.
    pub fn validate(&self) -> Result<()> {
        let invalid = |field: &str, message: String| {
            Err(Error::new(ErrorKind::Validation, message).with_field(field.to_owned()))
        };
        let channel_len = self.channel.chars().count();
        if channel_len == 0 || channel_len > 256 {
            return invalid(
                "channel",
                format!("must be 1 to 256 characters, not {channel_len}"),
            );
        }
        if let Some(c) = self
            .channel
            .chars()
            .find(|&c| matches!(c, '*' | '#' | ',') || c.is_whitespace())
        {
            return invalid("channel", format!("must not contain {c:?}"));
        }
        let storage_set = self.event == STORAGE_SET_EVENT;
        let event_len = self.event.chars().count();
        if event_len == 0 || event_len > 128 {
            return invalid(
                "event",
                format!("must be 1 to 128 characters, not {event_len}"),
            );
        }
        if !storage_set && (self.event.starts_with("hotsock.") || self.event.starts_with('#')) {
            return invalid(
                "event",
                format!(
                    "must not begin with \"hotsock.\" or \"#\" (reserved), except {STORAGE_SET_EVENT}"
                ),
            );
        }
        if self.event.contains('*') {
            return invalid("event", "must not contain '*'".into());
        }
        match &self.data {
            Some(Json::Failed(e)) => {
                return Err(Error::new(ErrorKind::Validation, "failed to serialize")
                    .with_field("data")
                    .with_source(Arc::clone(e)));
            }
            Some(Json::Ok(raw)) if raw.get().len() > MAX_DATA_BYTES => {
                return invalid(
                    "data",
                    format!(
                        "is {} bytes serialized, over the limit of {MAX_DATA_BYTES} (32 KiB)",
                        raw.get().len()
                    ),
                );
            }
            _ => {}
        }
        if let Some(id) = &self.deduplication_id
            && id.is_empty()
        {
            return invalid("deduplicationId", "must not be empty".into());
        }
        match (&self.key, storage_set) {
            (None, true) => return invalid("key", format!("is required with {STORAGE_SET_EVENT}")),
            (Some(_), false) => return invalid("key", format!("is only for {STORAGE_SET_EVENT}")),
            (Some(key), true) => {
                let len = key.chars().count();
                if len == 0 || len > 128 {
                    return invalid("key", format!("must be 1 to 128 characters, not {len}"));
                }
                if let Some(c) = key
                    .chars()
                    .find(|&c| matches!(c, '*' | '#' | ',') || c.is_whitespace())
                {
                    return invalid("key", format!("must not contain {c:?}"));
                }
            }
            (None, false) => {}
        }
        if let Some(store) = self.store {
            if store != -1 && !(0..=MAX_STORE_SECONDS).contains(&store) {
                return invalid(
                    "store",
                    format!(
                        "must be -1 (forever), 0 or up to {MAX_STORE_SECONDS} seconds, not {store}"
                    ),
                );
            }
            if storage_set && store == 0 {
                return invalid(
                    "store",
                    "must not be 0 for storage entries (-1 keeps them forever)".into(),
                );
            }
        }
        if let Some(expression) = &self.schedule_expression
            && at_expression_seconds(expression).is_none()
        {
            return invalid(
                "scheduleExpression",
                format!(
                    "must be a one-time expression at(yyyy-mm-ddThh:mm:ss), not {expression:?}"
                ),
            );
        }
        if let Some(zone) = &self.schedule_expression_timezone {
            if self.schedule_expression.is_none() {
                return invalid(
                    "scheduleExpressionTimezone",
                    "is only used with scheduleExpression".into(),
                );
            }
            if zone.is_empty() || zone.contains(char::is_whitespace) {
                return invalid(
                    "scheduleExpressionTimezone",
                    "must be an IANA time zone such as America/New_York".into(),
                );
            }
        }
        for (i, (name, value)) in self.extra.iter().enumerate() {
            if name.is_empty() {
                return invalid("extra", "attribute names must not be empty".into());
            }
            if KNOWN_ATTRIBUTES.contains(&name.as_str()) {
                return invalid(
                    name,
                    "has a method of its own; extra is for attributes this crate does not know"
                        .into(),
                );
            }
            if self.extra[..i].iter().any(|(n, _)| n == name) {
                return invalid(name, "is set twice with extra".into());
            }
            if let Json::Failed(e) = value {
                return Err(Error::new(ErrorKind::Validation, "failed to serialize")
                    .with_field(name.clone())
                    .with_source(Arc::clone(e)));
            }
        }
        Ok(())
    }

    /// The JSON payload sent to the publish function, after [`validate`](Message::validate).
    ///
    /// # Errors
    /// As `validate`, and [`ErrorKind::Validation`] naming `message` when the whole payload is over Lambda's
    /// 6 MB request limit.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        self.validate()?;
        let mut out = Vec::with_capacity(
            128 + self.data.as_ref().map_or(0, |d| match d {
                Json::Ok(raw) => raw.get().len(),
                Json::Failed(_) => 0,
            }),
        );
        let member = |out: &mut Vec<u8>, name: &str, json: &[u8]| {
            out.push(if out.is_empty() { b'{' } else { b',' });
            serde_json::to_writer(&mut *out, name).expect("writing to a Vec cannot fail");
            out.push(b':');
            out.extend_from_slice(json);
        };
        let string = |s: &str| serde_json::to_vec(s).expect("a string serializes");
        let boolean = |b: bool| if b { &b"true"[..] } else { &b"false"[..] };
        member(&mut out, "event", &string(&self.event));
        member(&mut out, "channel", &string(&self.channel));
        if let Some(Json::Ok(raw)) = &self.data {
            member(&mut out, "data", raw.get().as_bytes());
        }
        if let Some(id) = &self.deduplication_id {
            member(&mut out, "deduplicationId", &string(id));
        }
        if let Some(b) = self.eager_id_generation {
            member(&mut out, "eagerIdGeneration", boolean(b));
        }
        if let Some(b) = self.emit_pub_sub_event {
            member(&mut out, "emitPubSubEvent", boolean(b));
        }
        if let Some(key) = &self.key {
            member(&mut out, "key", &string(key));
        }
        if let Some(expression) = &self.schedule_expression {
            member(&mut out, "scheduleExpression", &string(expression));
        }
        if let Some(zone) = &self.schedule_expression_timezone {
            member(&mut out, "scheduleExpressionTimezone", &string(zone));
        }
        if let Some(store) = self.store {
            member(
                &mut out,
                "store",
                itoa::Buffer::new().format(store).as_bytes(),
            );
        }
        for (name, value) in &self.extra {
            if let Json::Ok(raw) = value {
                member(&mut out, name, raw.get().as_bytes());
            }
        }
        out.push(b'}');
        if out.len() > MAX_PAYLOAD_BYTES {
            return Err(Error::new(
                ErrorKind::Validation,
                format!(
                    "the payload is {} bytes, over Lambda's limit of {MAX_PAYLOAD_BYTES}",
                    out.len()
                ),
            )
            .with_field("message"));
        }
        Ok(out)
    }
}

/// `at(yyyy-mm-ddThh:mm:ss)` for a Unix time in seconds (UTC).
fn at_expression(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // civil-from-days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "at({year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02})",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The Unix time (UTC) of `at(yyyy-mm-ddThh:mm:ss)`, or `None` when `s` is not that with a real date and
/// time.
fn at_expression_seconds(s: &str) -> Option<i64> {
    let b = s.strip_prefix("at(")?.strip_suffix(')')?.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&day) || hour >= 24 || minute >= 60 || second >= 60 {
        return None;
    }
    // days-from-civil (Howard Hinnant's algorithm), the inverse of the one in `at_expression`
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_expressions_round_trip_dates() {
        assert_eq!(at_expression(0), "at(1970-01-01T00:00:00)");
        assert_eq!(at_expression(1_753_367_400), "at(2025-07-24T14:30:00)");
        assert_eq!(at_expression(951_782_400), "at(2000-02-29T00:00:00)");
        assert_eq!(at_expression(4_102_444_799), "at(2099-12-31T23:59:59)");
        for secs in (0..4_102_444_800i64).step_by(7_654_321) {
            assert_eq!(
                at_expression_seconds(&at_expression(secs)),
                Some(secs),
                "{}",
                at_expression(secs)
            );
        }
    }

    #[test]
    fn at_expression_checks() {
        for good in ["at(2025-07-24T14:30:00)", "at(2024-02-29T23:59:59)"] {
            assert!(at_expression_seconds(good).is_some(), "{good}");
        }
        for bad in [
            "at(2025-02-29T00:00:00)",
            "at(2025-13-01T00:00:00)",
            "at(2025-04-31T00:00:00)",
            "at(2025-07-24T24:00:00)",
            "at(2025-07-24 14:30:00)",
            "at(2025-07-24T14:30)",
            "rate(5 minutes)",
            "cron(0 12 * * ? *)",
            "at(+025-07-24T14:30:00)",
            "at(２０２５-07-24T14:30:00)",
            "",
        ] {
            assert_eq!(at_expression_seconds(bad), None, "{bad}");
        }
    }
}
