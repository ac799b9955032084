//! The process-wide default instance. One test only: the default instance is process-wide, and the tests of
//! this binary share one process.

use std::time::Duration;

use hotsock::{Config, ErrorKind};

use crate::support::*;

#[tokio::test]
async fn configure_once_then_issue_token_and_publish_message() {
    let _lock = crate::moto::lock().await;
    let e = hotsock::issue_token(&serde_json::json!({})).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotConfigured);
    let e = hotsock::publish_message(&hotsock::Message::new("c", "e"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotConfigured);
    assert!(hotsock::default_config().is_none());

    let config = crate::moto::config()
        .issuer_private_key(key_text("ec-p256-sec1.pem"))
        .issuer_token_ttl(Duration::from_secs(10))
        .clock(now)
        .build()
        .unwrap();
    // concurrent first configuration: exactly one wins
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| hotsock::configure(config.clone())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for e in results.into_iter().filter_map(Result::err) {
        assert_eq!(e.kind(), ErrorKind::AlreadyConfigured);
    }
    let e = hotsock::configure(Config::builder().build().unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyConfigured);

    // the gem's test 22: issue_token({foo: "bar"}) with the default configuration
    let token = hotsock::issue_token(&serde_json::json!({"foo": "bar"})).unwrap();
    assert_eq!(
        parts(&token),
        (
            r#"{"typ":"JWT","alg":"ES256"}"#.into(),
            r#"{"exp":1700000010,"foo":"bar"}"#.into()
        )
    );
    verify_independently(&token, hotsock::Algorithm::ES256, None);
    assert!(hotsock::default_config().unwrap().has_issuer_private_key());

    // the gem's test 21: publish_message with the default configuration, against moto
    for _ in 0..2 {
        let output = hotsock::publish_message(&hotsock::Message::new("mychannel", "myevent"))
            .await
            .unwrap();
        assert_eq!(output.status_code(), 200);
        assert_eq!(
            output.payload(),
            br#"{"event":"myevent","channel":"mychannel"}"#
        );
    }
}
