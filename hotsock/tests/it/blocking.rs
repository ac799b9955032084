//! The blocking facade, against moto: from plain threads (no runtime anywhere) and from a runtime's
//! blocking section.

use hotsock::{ErrorKind, Message};

use crate::moto;

#[test]
fn publish_without_a_runtime() {
    let _lock = moto::blocking_lock();
    let publisher = hotsock::blocking::Publisher::new(&moto::config().build().unwrap()).unwrap();
    assert_eq!(publisher.function(), moto::fixture().function_name);
    let output = publisher
        .publish(&Message::new("mychannel", "myevent"))
        .unwrap();
    assert_eq!(
        output.payload(),
        br#"{"event":"myevent","channel":"mychannel"}"#
    );
    // clones share the runtime thread, from several threads at once
    std::thread::scope(|s| {
        for i in 0..4 {
            let publisher = publisher.clone();
            s.spawn(move || {
                let output = publisher
                    .publish(&Message::new(format!("ch-{i}"), "e"))
                    .unwrap();
                assert_eq!(
                    output.payload(),
                    format!(r#"{{"event":"e","channel":"ch-{i}"}}"#).as_bytes()
                );
            });
        }
    });
    let results = publisher.publish_all((0..10).map(|i| Message::new("c", "e").data(&i)), 4);
    for (i, result) in results.iter().enumerate() {
        assert!(
            result
                .as_ref()
                .unwrap()
                .payload()
                .ends_with(format!(r#""data":{i}}}"#).as_bytes())
        );
    }
    let e = publisher
        .publish(&Message::new("bad channel", "e"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
}

#[test]
fn build_errors_come_back() {
    let e = hotsock::blocking::Publisher::new(&hotsock::Config::builder().build().unwrap())
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::Config, Some("publish_function_arn"))
    );
}

#[tokio::test]
async fn usable_from_a_runtimes_blocking_section() {
    let _lock = moto::lock().await;
    let output = tokio::task::spawn_blocking(|| {
        let publisher =
            hotsock::blocking::Publisher::new(&moto::config().build().unwrap()).unwrap();
        publisher.publish(&Message::new("c", "e")).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(output.status_code(), 200);
}
