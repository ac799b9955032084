use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_lambda::primitives::Blob;
use hotsock::{ErrorKind, InvocationMode, Message, Publisher};
use serde_json::{Value, json};

use crate::support::{self, start};

/// A raw Lambda client (the AWS SDK's own), for payloads the library would refuse before sending.
fn raw_lambda(local: &hotsock_local::LocalHotsock) -> aws_sdk_lambda::Client {
    let config = aws_sdk_lambda::Config::builder()
        .behavior_version(aws_sdk_lambda::config::BehaviorVersion::v2026_11_17())
        .region(aws_sdk_lambda::config::Region::new(
            local.region().to_owned(),
        ))
        .endpoint_url(local.endpoint_url())
        .credentials_provider(Credentials::new(
            local.access_key_id(),
            local.secret_access_key(),
            None,
            None,
            "test",
        ))
        .build();
    aws_sdk_lambda::Client::from_conf(config)
}

#[tokio::test]
async fn the_library_publisher_delivers_by_arn_and_by_name() {
    let t = start().await;
    let mut subscriber = t.connect("u1", json!({"chat": {"subscribe": true}})).await;
    assert_eq!(
        subscriber.subscribe("chat", None).await["event"],
        "hotsock.subscribed"
    );

    // by ARN (what config_builder sets)
    let by_arn = t.publisher().await;
    let output = by_arn
        .publish(&Message::new("chat", "hello").data(&json!({"n": 1})))
        .await
        .unwrap();
    let response = output.response().unwrap();
    assert_eq!(
        (response.channel.as_str(), response.event.as_str()),
        ("chat", "hello")
    );
    assert_eq!(response.id, None);
    assert_eq!(output.executed_version(), Some("$LATEST"));

    // by bare function name
    let config = t
        .local
        .config_builder()
        .publish_function_arn("hotsock-local-publish")
        .build()
        .unwrap();
    let by_name = Publisher::new(&config).await.unwrap();
    by_name
        .publish(&Message::new("chat", "hello").data(&json!({"n": 2})))
        .await
        .unwrap();

    for n in [1, 2] {
        let message = subscriber.next().await;
        assert_eq!(message["event"], "hello");
        assert_eq!(message["channel"], "chat");
        assert_eq!(message["data"], json!({"n": n}));
        assert_eq!(message["id"].as_str().unwrap().len(), 26);
        assert!(
            message.get("meta").is_none(),
            "server messages carry no meta"
        );
    }
}

/// The error one publish (one attempt) gets with this configuration.
async fn refusal(config: hotsock::ConfigBuilder) -> hotsock::Error {
    let publisher = Publisher::builder(&config.build().unwrap())
        .max_attempts(1)
        .build()
        .await
        .unwrap();
    publisher
        .publish(&Message::new("chat", "hello"))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_wrong_secret_or_unknown_function_is_refused_like_aws() {
    let t = start().await;
    let wrong_secret = t
        .local
        .config_builder()
        .aws_secret_access_key("wrong-secret-wrong-secret-wrong-secret-00");
    let error = refusal(wrong_secret).await;
    assert_eq!(error.kind(), ErrorKind::Auth, "{error:?}");
    let unknown_key = t.local.config_builder().aws_access_key_id("AKIAOTHERKEY");
    let error = refusal(unknown_key).await;
    assert_eq!(error.kind(), ErrorKind::Auth, "{error:?}");
    let other_function = t
        .local
        .config_builder()
        .publish_function_arn("some-other-function");
    let error = refusal(other_function).await;
    assert_eq!(error.kind(), ErrorKind::FunctionNotFound, "{error:?}");
}

/// Every documented rule, broken once, sent past the library's own checks with the raw SDK: the function
/// answers with a function error naming the attribute, and the library refuses the same message before
/// sending, naming the same attribute.
#[tokio::test]
async fn each_validation_rule_is_a_function_error_naming_the_attribute() {
    let t = start().await;
    let lambda = raw_lambda(&t.local);
    let long = "x".repeat(257);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"event": "e"}), "channel"),
        (json!({"channel": "", "event": "e"}), "channel"),
        (json!({"channel": long, "event": "e"}), "channel"),
        (json!({"channel": "a*b", "event": "e"}), "channel"),
        (json!({"channel": "a#b", "event": "e"}), "channel"),
        (json!({"channel": "a,b", "event": "e"}), "channel"),
        (json!({"channel": "a b", "event": "e"}), "channel"),
        (json!({"channel": "c"}), "event"),
        (json!({"channel": "c", "event": "x".repeat(129)}), "event"),
        (json!({"channel": "c", "event": "hotsock.mine"}), "event"),
        (json!({"channel": "c", "event": "#mine"}), "event"),
        (json!({"channel": "c", "event": "a*"}), "event"),
        (json!({"channel": "c", "event": ["badarray"]}), "event"),
        (
            json!({"channel": "c", "event": "e", "data": "x".repeat(33 * 1024)}),
            "data",
        ),
        (
            json!({"channel": "c", "event": "e", "deduplicationId": ""}),
            "deduplicationId",
        ),
        (
            json!({"channel": "c", "event": "e", "eagerIdGeneration": "yes"}),
            "eagerIdGeneration",
        ),
        (
            json!({"channel": "c", "event": "hotsock.channelStorageSet"}),
            "key",
        ),
        (json!({"channel": "c", "event": "e", "key": "k"}), "key"),
        (
            json!({"channel": "c", "event": "hotsock.channelStorageSet", "key": "a b"}),
            "key",
        ),
        (json!({"channel": "c", "event": "e", "store": -2}), "store"),
        (
            json!({"channel": "c", "event": "e", "store": 3_155_695_201_i64}),
            "store",
        ),
        (
            json!({"channel": "c", "event": "hotsock.channelStorageSet", "key": "k", "store": 0}),
            "store",
        ),
        (
            json!({"channel": "c", "event": "e", "scheduleExpression": "rate(5 minutes)"}),
            "scheduleExpression",
        ),
        (
            json!({"channel": "c", "event": "e", "scheduleExpressionTimezone": "UTC"}),
            "scheduleExpressionTimezone",
        ),
    ];
    for (payload, field) in cases {
        let output = lambda
            .invoke()
            .function_name(t.local.publish_function_arn())
            .payload(Blob::new(payload.to_string()))
            .send()
            .await
            .unwrap();
        assert_eq!(output.function_error(), Some("Unhandled"), "{payload}");
        let body: Value = serde_json::from_slice(output.payload().unwrap().as_ref()).unwrap();
        assert_eq!(body["errorType"], "ValidationError", "{payload}");
        let message = body["errorMessage"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("invalid message: {field}: ")),
            "{payload} -> {message}"
        );
        // the library refuses it first, naming the same attribute
        let refused = Message::from_json(payload.to_string().as_bytes()).unwrap_err();
        assert_eq!(refused.field(), Some(field), "{payload}");
    }
    assert!(t.local.stored_messages("c").is_empty());

    // valid for Hotsock, but hotsock-local has no time zone data: refused, and said why
    let zoned = json!({"channel": "c", "event": "e", "scheduleExpression": "at(2030-01-01T00:00:00)",
        "scheduleExpressionTimezone": "America/New_York"});
    assert!(Message::from_json(zoned.to_string().as_bytes()).is_ok());
    let output = lambda
        .invoke()
        .function_name(t.local.publish_function_arn())
        .payload(Blob::new(zoned.to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(output.function_error(), Some("Unhandled"));
    let body: Value = serde_json::from_slice(output.payload().unwrap().as_ref()).unwrap();
    assert!(
        body["errorMessage"].as_str().unwrap().contains("UTC only"),
        "{body}"
    );
}

#[tokio::test]
async fn eager_ids_dedup_and_store() {
    let t = start().await;
    let publisher = t.publisher().await;
    let mut subscriber = t.connect("u1", json!({"news": {"subscribe": true}})).await;
    subscriber.subscribe("news", None).await;

    let output = publisher
        .publish(
            &Message::new("news", "story")
                .data("first")
                .eager_id_generation(true)
                .deduplication_id("story-1")
                .store(-1),
        )
        .await
        .unwrap();
    let id = output.response().unwrap().id.expect("an eager id");
    // the same deduplicationId again: accepted, not delivered
    publisher
        .publish(
            &Message::new("news", "story")
                .data("again")
                .deduplication_id("story-1")
                .store(-1),
        )
        .await
        .unwrap();
    publisher
        .publish(&Message::new("news", "story").data("second").store(60))
        .await
        .unwrap();
    publisher
        .publish(&Message::new("news", "story").data("not kept"))
        .await
        .unwrap();

    let first = subscriber.next().await;
    assert_eq!(
        (first["id"].as_str(), &first["data"]),
        (Some(id.as_str()), &json!("first"))
    );
    assert_eq!(subscriber.next().await["data"], "second");
    assert_eq!(subscriber.next().await["data"], "not kept");
    subscriber.assert_quiet().await;

    let stored: Vec<String> = t
        .local
        .stored_messages("news")
        .into_iter()
        .map(|m| m.data)
        .collect();
    assert_eq!(stored, [r#""first""#, r#""second""#]);
}

#[tokio::test]
async fn scheduled_messages_arrive_on_time() {
    let t = start().await;
    let publisher = t.publisher().await;
    let mut subscriber = t.connect("u1", json!({"later": {"subscribe": true}})).await;
    subscriber.subscribe("later", None).await;

    // two whole seconds ahead (at() has whole seconds)
    let now = SystemTime::now();
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2;
    let due = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let output = publisher
        .publish(
            &Message::new("later", "reminder")
                .data("now")
                .schedule_at(due),
        )
        .await
        .unwrap();
    let arn = output
        .response()
        .unwrap()
        .schedule_arn
        .expect("a schedule ARN");
    assert!(
        arn.starts_with("arn:aws:scheduler:us-east-1:000000000000:schedule/"),
        "{arn}"
    );

    let message = subscriber.next().await;
    let arrived = SystemTime::now();
    assert_eq!(message["data"], "now");
    assert!(
        arrived >= due,
        "delivered {:?} early",
        due.duration_since(arrived).unwrap_or_default()
    );
    assert!(
        arrived.duration_since(due).unwrap() < Duration::from_secs(1),
        "delivered {:?} late",
        arrived.duration_since(due).unwrap()
    );
}

#[tokio::test]
async fn storage_sets_reach_observers_and_the_channels_api() {
    let t = start().await;
    let publisher = t.publisher().await;
    let mut observer = t
        .connect(
            "u1",
            json!({"game": {"subscribe": true, "storage": {"settings": {"observe": true}}}}),
        )
        .await;
    observer.subscribe("game", None).await;

    // the same value twice: the second write changes nothing and fans out to no one
    for _ in 0..2 {
        publisher
            .publish(&Message::storage_set(
                "game",
                "settings",
                &json!({"maxPlayers": 4}),
            ))
            .await
            .unwrap();
    }
    publisher
        .publish(&Message::storage_set("game", "other", &json!(1)))
        .await
        .unwrap();
    let update = observer.next().await;
    assert_eq!(update["event"], "hotsock.channelStorageUpdated");
    assert_eq!(
        (update["key"].as_str(), &update["data"]),
        (Some("settings"), &json!({"maxPlayers": 4}))
    );
    observer.assert_quiet().await;

    let (status, body) = t.http("GET", "/channels/game/storage", "").await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["other", "settings"]);
    let (_, body) = t
        .http("GET", "/channels/game/storage?keys=settings", "")
        .await;
    assert_eq!(
        body["items"],
        json!([{"key": "settings", "data": {"maxPlayers": 4}, "meta": {"uid": null, "umd": null}}])
    );

    let (status, body) = t.http("GET", "/channels/game", "").await;
    assert_eq!(
        (status, body),
        (200, json!({"name": "game", "subscriptionsCount": 1}))
    );
}

#[tokio::test]
async fn the_http_publish_api() {
    let t = start().await;
    let mut subscriber = t.connect("u1", json!({"chat": {"subscribe": true}})).await;
    subscriber.subscribe("chat", None).await;
    let (status, body) = t
        .http(
            "POST",
            "/publish",
            r#"{"channel":"chat","event":"hi","data":1}"#,
        )
        .await;
    assert_eq!(
        (status, body),
        (202, json!({"channel": "chat", "event": "hi"}))
    );
    assert_eq!(subscriber.next().await["data"], 1);

    let (status, body) = t
        .http(
            "POST",
            "/publish",
            r#"{"channel":"chat","event":"hotsock.x"}"#,
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("invalid message: event: "),
        "{body}"
    );

    let base = t.local.http_api_url();
    for key in [None, Some("not-the-key")] {
        let (status, _) = support::http(
            &base,
            "POST",
            "/publish",
            r#"{"channel":"chat","event":"hi"}"#,
            key,
        )
        .await;
        assert_eq!(status, 401);
    }
    subscriber.assert_quiet().await;
}

#[tokio::test]
async fn event_invocations_are_accepted_without_a_result() {
    let t = start().await;
    let mut subscriber = t.connect("u1", json!({"chat": {"subscribe": true}})).await;
    subscriber.subscribe("chat", None).await;
    let publisher = Publisher::builder(&t.config)
        .invocation_mode(InvocationMode::Event)
        .build()
        .await
        .unwrap();
    let output = publisher
        .publish(&Message::new("chat", "async"))
        .await
        .unwrap();
    assert_eq!(output.status_code(), 202);
    assert_eq!(subscriber.next().await["event"], "async");
}
