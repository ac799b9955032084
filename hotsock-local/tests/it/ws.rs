use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hotsock::{Algorithm, Config, GeneratedKey, Issuer, Message};
use hotsock_local::SigningKey;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::support::{start, start_with};

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn connect_subscribe_and_receive_in_order() {
    let t = start().await;
    let mut client = t
        .connect("jim", json!({"room.1": {"subscribe": true}}))
        .await;
    let subscribed = client.subscribe("room.1", None).await;
    assert_eq!(
        subscribed,
        json!({"event": "hotsock.subscribed", "channel": "room.1", "data": {}, "meta": {"uid": "jim", "umd": null}})
    );
    let publisher = t.publisher().await;
    for n in 0..20 {
        publisher
            .publish(&Message::new("room.1", "tick").data(&n))
            .await
            .unwrap();
    }
    let mut last_id = String::new();
    for n in 0..20 {
        let message = client.next().await;
        assert_eq!(message["data"], n);
        let id = message["id"].as_str().unwrap().to_owned();
        assert!(id > last_id, "ULIDs increase");
        last_id = id;
    }
    // unsubscribe: nothing more arrives
    client
        .send(json!({"event": "hotsock.unsubscribe", "channel": "room.1"}))
        .await;
    assert_eq!(client.next().await["event"], "hotsock.unsubscribed");
    publisher
        .publish(&Message::new("room.1", "tick"))
        .await
        .unwrap();
    client.assert_quiet().await;
    client
        .send(json!({"event": "hotsock.unsubscribe", "channel": "room.1"}))
        .await;
    assert_eq!(client.next().await["error"]["code"], "NOT_SUBSCRIBED");
}

#[tokio::test]
async fn subscribe_with_a_subscribe_token() {
    let t = start().await;
    let mut client = t.connect("jim", json!({})).await;
    // no permission from the connect token
    let refused = client.subscribe("private.7", None).await;
    assert_eq!(refused["event"], "hotsock.error");
    assert_eq!(refused["error"]["code"], "SUBSCRIBE_PERMISSION_DENIED");
    assert_eq!(refused["channel"], "private.7");

    let token = t.token(json!({
        "scope": "subscribe",
        "connectionId": client.connection_id,
        "uid": "jim-sub",
        "umd": {"name": "Jim"},
        "channels": {"private.7": {"subscribe": true}},
    }));
    let subscribed = client
        .subscribe("private.7", Some(json!({"token": token})))
        .await;
    assert_eq!(subscribed["event"], "hotsock.subscribed", "{subscribed}");
    assert_eq!(
        subscribed["meta"],
        json!({"uid": "jim-sub", "umd": {"name": "Jim"}})
    );
    assert_eq!(
        client.subscribe("private.7", None).await["error"]["code"],
        "ALREADY_SUBSCRIBED"
    );

    // a subscribe token for another connection, and a connect token, are refused
    let mut other = t.connect("bob", json!({})).await;
    let refused = other
        .subscribe("private.7", Some(json!({"token": token})))
        .await;
    assert_eq!(refused["error"]["code"], "INVALID_SUBSCRIBE_TOKEN");
    let connect_token = t.token(
        json!({"scope": "connect", "uid": "bob", "channels": {"private.7": {"subscribe": true}}}),
    );
    let refused = other
        .subscribe("private.7", Some(json!({"token": connect_token})))
        .await;
    assert_eq!(refused["error"]["code"], "INVALID_SUBSCRIBE_TOKEN");
}

#[tokio::test]
async fn wildcards_regexes_and_explicit_false() {
    let t = start().await;
    let mut client = t
        .connect(
            "jim",
            json!({
                "account.123.*": {"subscribe": true},
                "#regex:^org\\.[0-9]+$": {"subscribe": true},
                "account.123.secret": {"subscribe": false},
            }),
        )
        .await;
    for (channel, allowed) in [
        ("account.123.orders", true),
        ("org.42", true),
        ("account.123.secret", false),
        ("org.42x", false),
        ("account.999.orders", false),
    ] {
        let reply = client.subscribe(channel, None).await;
        let expected = if allowed {
            "hotsock.subscribed"
        } else {
            "hotsock.error"
        };
        assert_eq!(reply["event"], expected, "{channel}: {reply}");
    }
}

#[tokio::test]
async fn refused_connect_tokens() {
    let t = start_with(|b| b.audience("my-app").issuer("my-backend")).await;
    let good = |claims: Value| {
        let mut claims = claims;
        claims["aud"] = "my-app".into();
        claims["iss"] = "my-backend".into();
        claims
    };
    // accepted: the control
    let token = t.token(good(json!({"scope": "connect"})));
    t.connect_with(&token).await.unwrap();

    let now = unix_now();
    let other_key = GeneratedKey::generate(Algorithm::ES256).unwrap();
    let foreign = Issuer::new(
        &Config::builder()
            .issuer_private_key(other_key.private_key())
            .issuer_key_id("key-1")
            .build()
            .unwrap(),
    )
    .unwrap();
    let refused = [
        (
            "expired",
            t.token(good(json!({"scope": "connect", "exp": now - 5}))),
        ),
        (
            "not yet valid",
            t.token(good(json!({"scope": "connect", "nbf": now + 60}))),
        ),
        (
            "wrongly signed",
            foreign
                .issue(&good(json!({"scope": "connect", "exp": now + 60})))
                .unwrap(),
        ),
        (
            "subscribe scope",
            t.token(good(json!({"scope": "subscribe", "uid": "u"}))),
        ),
        ("no scope", t.token(good(json!({})))),
        (
            "wrong aud",
            t.token(json!({"scope": "connect", "aud": "other", "iss": "my-backend"})),
        ),
        (
            "no iss",
            t.token(json!({"scope": "connect", "aud": "my-app"})),
        ),
        (
            "bad regex",
            t.token(good(
                json!({"scope": "connect", "channels": {"#regex:(": {"subscribe": true}}}),
            )),
        ),
        (
            "heartbeatTimeout",
            t.token(good(json!({"scope": "connect", "heartbeatTimeout": 4}))),
        ),
        (
            "singleUse without jti",
            t.token(good(json!({"scope": "connect", "singleUse": true}))),
        ),
    ];
    for (why, token) in refused {
        match t.connect_with(&token).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), 401, "{why}"),
            Err(e) => panic!("{why}: {e}"),
            Ok(_) => panic!("{why}: accepted"),
        }
    }
    // a token with another kid, or with none, fails the key's ID check
    let no_kid = Issuer::new(
        &t.local
            .config_builder()
            .issuer_private_key(t.key.private_key())
            .issuer_token_ttl(Duration::from_secs(60))
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(
        t.connect_with(&no_kid.issue(&good(json!({"scope": "connect"}))).unwrap())
            .await
            .is_err()
    );

    // singleUse: once
    let once = t.token(good(
        json!({"scope": "connect", "singleUse": true, "jti": "j-1"}),
    ));
    t.connect_with(&once).await.unwrap();
    assert!(t.connect_with(&once).await.is_err());
}

#[tokio::test]
async fn two_keys_for_rotation() {
    let hs_secret = b"an-hmac-secret-of-thirty-two-bytes!!";
    let encoded = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(hs_secret)
    };
    let t = start_with(|b| b.signing_key(SigningKey::new(Algorithm::HS256, encoded))).await;
    // the ES256 key (kid key-1) and the HS256 key (no kid configured: any kid passes)
    t.connect_with(&t.token(json!({"scope": "connect"})))
        .await
        .unwrap();
    let hs = Issuer::new(
        &Config::builder()
            .issuer_key_algorithm(Algorithm::HS256)
            .issuer_private_key(hs_secret)
            .issuer_key_id("anything")
            .issuer_token_ttl(Duration::from_secs(60))
            .build()
            .unwrap(),
    )
    .unwrap();
    t.connect_with(&hs.issue(&json!({"scope": "connect"})).unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn client_publishing_with_echo_and_meta() {
    let t = start().await;
    let channels = json!({"room.123": {"subscribe": true, "messages": {
        "chat": {"publish": true, "echo": true},
        "is-typing": {"publish": true},
    }}});
    let mut jim = t.connect("Jim", channels.clone()).await;
    let mut pam = t.connect("Pam", channels).await;
    jim.subscribe("room.123", None).await;
    pam.subscribe("room.123", None).await;

    jim.send(json!({"channel": "room.123", "event": "is-typing"}))
        .await;
    let typing = pam.next().await;
    assert_eq!(typing["event"], "is-typing");
    assert_eq!(typing["data"], Value::Null);
    assert_eq!(typing["meta"], json!({"uid": "Jim", "umd": null}));

    jim.send(json!({"channel": "room.123", "event": "chat", "data": "Hello!"}))
        .await;
    for client in [&mut pam, &mut jim] {
        let chat = client.next().await;
        assert_eq!(
            (chat["event"].as_str(), &chat["data"]),
            (Some("chat"), &json!("Hello!"))
        );
        assert_eq!(chat["meta"]["uid"], "Jim");
    }
    jim.assert_quiet().await;

    // not permitted: an event without publish, a reserved event, a channel not subscribed
    jim.send(json!({"channel": "room.123", "event": "other"}))
        .await;
    assert_eq!(
        jim.next().await["error"]["code"],
        "PUBLISH_PERMISSION_DENIED"
    );
    jim.send(json!({"channel": "room.124", "event": "chat"}))
        .await;
    assert_eq!(
        jim.next().await["error"]["code"],
        "PUBLISH_PERMISSION_DENIED"
    );
    jim.send(json!({"channel": "room.123", "event": "#chat"}))
        .await;
    assert_eq!(jim.next().await["error"]["code"], "INVALID_MESSAGE");
    pam.assert_quiet().await;
}

#[tokio::test]
async fn presence_members() {
    let t = start().await;
    let channels = json!({"presence.lobby": {"subscribe": true}});
    let mut jim = t.connect("Jim", channels.clone()).await;
    let subscribed = jim.subscribe("presence.lobby", None).await;
    assert_eq!(
        subscribed["data"]["members"],
        json!([{"uid": "Jim", "umd": null}])
    );

    let token = t.token(
        json!({"scope": "connect", "uid": "Dwight", "umd": {"desk": 2}, "channels": channels}),
    );
    let mut dwight = t.connect_with(&token).await.unwrap();
    let subscribed = dwight.subscribe("presence.lobby", None).await;
    let both = json!([{"uid": "Jim", "umd": null}, {"uid": "Dwight", "umd": {"desk": 2}}]);
    assert_eq!(subscribed["data"]["members"], both);
    let added = jim.next().await;
    assert_eq!(added["event"], "hotsock.memberAdded");
    assert_eq!(
        added["data"],
        json!({"member": {"uid": "Dwight", "umd": {"desk": 2}}, "members": both})
    );

    let (_, info) = t.http("GET", "/channels/presence.lobby", "").await;
    assert_eq!(info["subscriptionsCount"], 2);
    assert_eq!(info["members"], both);

    drop(dwight);
    let removed = jim.next().await;
    assert_eq!(removed["event"], "hotsock.memberRemoved");
    assert_eq!(
        removed["data"]["members"],
        json!([{"uid": "Jim", "umd": null}])
    );

    // presence needs a uid
    let token =
        t.token(json!({"scope": "connect", "channels": {"presence.lobby": {"subscribe": true}}}));
    let mut anonymous = t.connect_with(&token).await.unwrap();
    assert_eq!(
        anonymous.subscribe("presence.lobby", None).await["error"]["code"],
        "SUBSCRIBE_PERMISSION_DENIED"
    );
}

#[tokio::test]
async fn auto_subscribe_ping_and_storage_from_clients() {
    let t = start().await;
    let mut client = t
        .connect(
            "Jim",
            json!({"news": {"subscribe": true, "autoSubscribe": true,
                "storage": {"cursor.*": {"observe": true, "get": true, "set": true}}}}),
        )
        .await;
    let auto = client.next().await;
    assert_eq!(auto["event"], "hotsock.subscribed");
    assert_eq!(auto["data"], json!({"autoSubscribed": true}));

    client.send(json!({"event": "hotsock.ping"})).await;
    assert_eq!(client.next().await, json!({"event": "hotsock.pong"}));

    client
        .send(json!({"event": "hotsock.channelStorageSet", "channel": "news", "key": "cursor.jim", "data": {"x": 1}}))
        .await;
    let updated = client.next().await;
    assert_eq!(updated["event"], "hotsock.channelStorageUpdated");
    assert_eq!(updated["meta"], json!({"uid": "Jim", "umd": null}));
    client
        .send(json!({"event": "hotsock.channelStorageGet", "channel": "news", "key": "cursor.jim"}))
        .await;
    let data = client.next().await;
    assert_eq!(data["event"], "hotsock.channelStorageData");
    assert_eq!(data["data"], json!({"x": 1}));
    client.send(json!({"event": "hotsock.channelStorageSet", "channel": "news", "key": "settings", "data": 1})).await;
    assert_eq!(
        client.next().await["error"]["code"],
        "STORAGE_PERMISSION_DENIED"
    );
}

#[tokio::test]
async fn heartbeats_keep_a_connection_with_heartbeat_timeout_open() {
    let t = start().await;
    let token = t.token(json!({"scope": "connect", "heartbeatTimeout": 5}));
    let mut client = t.connect_with(&token).await.unwrap();
    // a heartbeat at 3 s carries the connection past the first 5 s ...
    tokio::time::sleep(Duration::from_secs(3)).await;
    client.send(json!({"event": "hotsock.heartbeat"})).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    client.send(json!({"event": "hotsock.ping"})).await;
    assert_eq!(client.next().await, json!({"event": "hotsock.pong"}));
    // ... and without another it is closed about 5 s after that heartbeat
    client.assert_closed(Duration::from_secs(4)).await;
}

#[tokio::test]
async fn keep_alive_tokens_get_keep_alive_messages() {
    let t = start_with(|b| b.keep_alive_interval(Duration::from_millis(200))).await;
    let mut kept = t
        .connect_with(&t.token(json!({"scope": "connect", "keepAlive": true})))
        .await
        .unwrap();
    assert_eq!(kept.next().await, json!({"event": "hotsock.keepAlive"}));
    assert_eq!(kept.next().await, json!({"event": "hotsock.keepAlive"}));
    let mut plain = t
        .connect_with(&t.token(json!({"scope": "connect"})))
        .await
        .unwrap();
    plain.assert_quiet().await;
}

#[tokio::test]
async fn bad_frames_get_errors_not_a_dropped_connection() {
    let t = start().await;
    let mut client = t.connect("jim", json!({"c": {"subscribe": true}})).await;
    for frame in [
        json!("just a string"),
        json!({"channel": "c"}),
        json!({"event": "hotsock.nonsense"}),
    ] {
        client.send(frame.clone()).await;
        let reply = client.next().await;
        assert_eq!(reply["event"], "hotsock.error", "{frame}: {reply}");
    }
    // still connected and working
    assert_eq!(
        client.subscribe("c", None).await["event"],
        "hotsock.subscribed"
    );
    // over API Gateway's 128 KB message limit: the connection is closed
    client
        .send(json!({"channel": "c", "event": "big", "data": "x".repeat(129 * 1024)}))
        .await;
    client.assert_closed(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn secrets_stay_out_of_debug_output() {
    let secret = "HS-secret-value-that-must-not-leak-000000";
    let encoded = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(secret)
    };
    let key = SigningKey::new(Algorithm::HS256, encoded.clone());
    let t = start_with(|b| {
        b.signing_key(key.clone())
            .credentials("AKIAEXAMPLE", "aws-secret-that-must-not-leak-0000000000")
            .http_api_key("api-key-that-must-not-leak")
    })
    .await;
    let debug = format!("{:?} {:?}", t.local, key);
    for needle in [
        secret,
        encoded.as_str(),
        "aws-secret-that-must-not-leak",
        "api-key-that-must-not-leak",
    ] {
        assert!(!debug.contains(needle), "{needle} in {debug}");
    }
    assert!(
        debug.contains("AKIAEXAMPLE"),
        "the access key ID is not a secret: {debug}"
    );
    // a key that cannot be read names the key, not its content
    let error = hotsock_local::LocalHotsock::builder()
        .signing_key(SigningKey::new(Algorithm::ES256, "bm90IGEga2V5"))
        .start()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), hotsock_local::ErrorKind::Config);
    assert!(!format!("{error:?}").contains("bm90IGEga2V5"), "{error:?}");
    let error = hotsock_local::LocalHotsock::builder()
        .start()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "a signing key is required (SigningKey::new(method, encoded_parameter))"
    );
}

#[tokio::test]
async fn a_subscriber_that_does_not_read_is_closed_not_waited_for() {
    let t = start_with(|b| b.max_queued_messages(8)).await;
    let mut reader = t
        .connect("reader", json!({"firehose": {"subscribe": true}}))
        .await;
    let mut stuck = t
        .connect("stuck", json!({"firehose": {"subscribe": true}}))
        .await;
    reader.subscribe("firehose", None).await;
    stuck.subscribe("firehose", None).await;
    // about 8 MB, more than the socket buffers hold for a client that reads nothing
    let data = "x".repeat(30 * 1024);
    let body = json!({"channel": "firehose", "event": "big", "data": data}).to_string();
    let mut sent = 0;
    while t.local.subscriptions_count("firehose") == 2 {
        assert!(sent < 300, "the stuck subscriber was never dropped");
        let (status, _) = t.http("POST", "/publish", &body).await;
        assert_eq!(status, 202);
        sent += 1;
        // the reader keeps up
        assert_eq!(reader.next().await["event"], "big");
    }
    // the one that reads gets everything; the stuck one, once it reads, finds its connection closed
    reader.assert_quiet().await;
    let received = stuck.count_until_closed(Duration::from_secs(5)).await;
    assert!(received < sent, "{received} of {sent}");
}
