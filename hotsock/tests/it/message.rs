//! Messages: the exact JSON sent, and every documented rule refused with the attribute named.

use std::time::{Duration, UNIX_EPOCH};

use hotsock::{ErrorKind, Message};

fn json(message: &Message) -> String {
    String::from_utf8(message.to_json().unwrap()).unwrap()
}

fn refused(message: Message, field: &str) -> hotsock::Error {
    let e = message.to_json().unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::Validation, Some(field)),
        "{e}"
    );
    e
}

#[test]
fn the_json_is_camel_case_in_the_gems_order_without_nulls() {
    assert_eq!(
        json(&Message::new("mychannel", "myevent")),
        r#"{"event":"myevent","channel":"mychannel"}"#
    );
    let every = Message::new("c", "e")
        .extra("someNewParam", &true)
        .store(-1)
        .schedule_expression_timezone("America/New_York")
        .schedule_expression("at(2025-07-24T14:30:00)")
        .emit_pub_sub_event(false)
        .eager_id_generation(false)
        .deduplication_id("d")
        .data(&serde_json::json!(null))
        .extra("anotherNewParam", "stringy");
    assert_eq!(
        json(&every),
        r#"{"event":"e","channel":"c","data":null,"deduplicationId":"d","eagerIdGeneration":false,"emitPubSubEvent":false,"scheduleExpression":"at(2025-07-24T14:30:00)","scheduleExpressionTimezone":"America/New_York","store":-1,"someNewParam":true,"anotherNewParam":"stringy"}"#
    );
    assert_eq!(
        json(&Message::storage_set("c", "profile", &serde_json::json!({"name": "Ada"})).store(60)),
        r#"{"event":"hotsock.channelStorageSet","channel":"c","data":{"name":"Ada"},"key":"profile","store":60}"#
    );
    assert_eq!(
        json(&Message::new("c", "e").data_json(r#"{"pre":"serialized"}"#)),
        r#"{"event":"e","channel":"c","data":{"pre":"serialized"}}"#
    );
}

#[test]
fn schedule_at_makes_the_at_expression_in_utc() {
    let message = Message::new("c", "e")
        .schedule_expression_timezone("Europe/Paris")
        .schedule_at(UNIX_EPOCH + Duration::from_secs(1_753_367_400));
    assert_eq!(
        json(&message),
        r#"{"event":"e","channel":"c","scheduleExpression":"at(2025-07-24T14:30:00)"}"#
    );
    // and back
    assert_eq!(
        message.schedule_time_utc(),
        Some(UNIX_EPOCH + Duration::from_secs(1_753_367_400))
    );
    assert_eq!(Message::new("c", "e").schedule_time_utc(), None);
    assert_eq!(
        Message::new("c", "e")
            .schedule_expression("at(2025-02-29T00:00:00)")
            .schedule_time_utc(),
        None
    );
}

#[test]
fn channel_rules() {
    refused(Message::new("", "e"), "channel");
    refused(Message::new("x".repeat(257), "e"), "channel");
    Message::new("é".repeat(256), "e").validate().unwrap();
    for bad in ["a*b", "a#b", "a,b", "a b", "a\nb", "a\tb"] {
        refused(Message::new(bad, "e"), "channel");
    }
    Message::new("presence.room-1:x/y", "e").validate().unwrap();
}

#[test]
fn event_rules() {
    refused(Message::new("c", ""), "event");
    refused(Message::new("c", "e".repeat(129)), "event");
    for bad in [
        "hotsock.subscribe",
        "hotsock.messageReaction",
        "#regex:x",
        "a*",
    ] {
        refused(Message::new("c", bad), "event");
    }
    Message::new("c", "a#b").validate().unwrap();
    Message::new("c", "e".repeat(128)).validate().unwrap();
}

#[test]
fn data_rules() {
    Message::new("c", "e")
        .data(&"x".repeat(32 * 1024 - 2))
        .validate()
        .unwrap();
    let e = refused(
        Message::new("c", "e").data(&"x".repeat(32 * 1024 - 1)),
        "data",
    );
    assert!(e.to_string().contains("32769 bytes"), "{e}");
    struct Failing;
    impl serde::Serialize for Failing {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no"))
        }
    }
    let e = refused(Message::new("c", "e").data(&Failing), "data");
    assert!(std::error::Error::source(&e).is_some());
    refused(Message::new("c", "e").data_json("{not json"), "data");
}

#[test]
fn key_rules() {
    refused(Message::new("c", hotsock::STORAGE_SET_EVENT), "key");
    refused(Message::new("c", "e").key("k"), "key");
    for bad in ["", "a b", "a*", "a#", "a,b"] {
        refused(Message::storage_set("c", bad, &1), "key");
    }
    refused(Message::storage_set("c", "k".repeat(129), &1), "key");
    Message::storage_set("c", "k".repeat(128), &1)
        .validate()
        .unwrap();
}

#[test]
fn store_rules() {
    for ok in [-1, 0, 1, hotsock::MAX_STORE_SECONDS] {
        Message::new("c", "e").store(ok).validate().unwrap();
    }
    for bad in [-2, hotsock::MAX_STORE_SECONDS + 1, i64::MIN] {
        refused(Message::new("c", "e").store(bad), "store");
    }
    refused(Message::storage_set("c", "k", &1).store(0), "store");
    Message::storage_set("c", "k", &1)
        .store(-1)
        .validate()
        .unwrap();
}

#[test]
fn schedule_rules() {
    for bad in [
        "at(2025-02-30T00:00:00)",
        "rate(1 hour)",
        "at(2025-07-24T14:30)",
        "2025-07-24T14:30:00",
    ] {
        refused(
            Message::new("c", "e").schedule_expression(bad),
            "scheduleExpression",
        );
    }
    refused(
        Message::new("c", "e").schedule_expression_timezone("UTC"),
        "scheduleExpressionTimezone",
    );
    refused(
        Message::new("c", "e")
            .schedule_expression("at(2025-07-24T14:30:00)")
            .schedule_expression_timezone("New York"),
        "scheduleExpressionTimezone",
    );
}

#[test]
fn other_rules() {
    refused(
        Message::new("c", "e").deduplication_id(""),
        "deduplicationId",
    );
    refused(Message::new("c", "e").extra("", &1), "extra");
    refused(Message::new("c", "e").extra("store", &1), "store");
    refused(Message::new("c", "e").extra("x", &1).extra("x", &2), "x");
    // the whole payload under Lambda's limit
    let mut message = Message::new("c", "e");
    for i in 0..200 {
        message = message.extra(format!("x{i}"), &"y".repeat(32 * 1024));
    }
    refused(message, "message");
}

#[test]
fn from_json_reads_the_payload_form_and_names_the_attribute_it_refuses() {
    let text = r#"{"event":"e","channel":"c","data":{"b":1,"a":[null]},"deduplicationId":"d","eagerIdGeneration":true,"emitPubSubEvent":false,"store":60,"someNewParam":"x"}"#;
    let message = Message::from_json(text.as_bytes()).unwrap();
    assert_eq!((message.channel_name(), message.event_name()), ("c", "e"));
    // what it sends is what it read, byte for byte: data and the unknown attribute as written
    assert_eq!(json(&message), text);
    // an explicit null data is kept as null
    let null = Message::from_json(br#"{"channel":"c","event":"e","data":null}"#).unwrap();
    assert_eq!(json(&null), r#"{"event":"e","channel":"c","data":null}"#);

    for (text, field) in [
        (r#"{"event":"e"}"#, Some("channel")),
        (r#"{"channel":"c","event":7}"#, Some("event")),
        (r#"{"channel":"c","event":"e","store":"60"}"#, Some("store")),
        (
            r#"{"channel":"c","event":"e","emitPubSubEvent":1}"#,
            Some("emitPubSubEvent"),
        ),
        (r#"{"channel":"c","event":"e","key":["k"]}"#, Some("key")),
        (r#"{"channel":"c#","event":"e"}"#, Some("channel")),
        (
            r#"{"channel":"c","event":"e","channel":"d"}"#,
            Some("channel"),
        ),
        (r#"{"channel":"c","event":"e","x":1,"x":2}"#, Some("x")),
        (r#"["c","e"]"#, None),
        (r#"{"channel":"c","#, None),
    ] {
        let error = Message::from_json(text.as_bytes()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation, "{text}");
        assert_eq!(error.field(), field, "{text}: {error}");
    }
}
