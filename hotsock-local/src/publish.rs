//! Server-side publishing, shared by the Lambda Invoke path and the HTTP publish API: the message is checked
//! with the `hotsock` crate's own rules, then deduplicated, scheduled, stored or delivered.

use std::sync::Arc;
use std::time::SystemTime;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::App;
use crate::hub::{Delivery, push_json_string};

/// A refused message: the function reports it as `{"errorType": "ValidationError", "errorMessage": …}`.
#[derive(Debug)]
pub(crate) struct Invalid(pub(crate) String);

impl Invalid {
    /// The `errorType` of every refusal.
    pub(crate) const ERROR_TYPE: &'static str = "ValidationError";
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    channel: String,
    event: String,
    data: Option<Box<RawValue>>,
    deduplication_id: Option<String>,
    #[serde(default)]
    eager_id_generation: bool,
    key: Option<String>,
    schedule_expression: Option<String>,
    schedule_expression_timezone: Option<String>,
    store: Option<i64>,
}

const STORAGE_SET: &str = hotsock::STORAGE_SET_EVENT;

/// Publishes the message in `body` and returns the response body (`{"id"?, "channel", "event", "scheduleArn"?}`).
pub(crate) fn publish(app: &Arc<App>, body: &[u8]) -> Result<String, Invalid> {
    let message = hotsock::Message::from_json(body).map_err(|e| Invalid(e.to_string()))?;
    let payload: Payload =
        serde_json::from_slice(body).map_err(|e| Invalid(format!("invalid message: {e}")))?;
    // validated above: an expression is a real at() date; only its zone is left to check
    let due = match &payload.schedule_expression_timezone {
        Some(zone)
            if payload.schedule_expression.is_some()
                && !matches!(zone.as_str(), "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT") =>
        {
            return Err(Invalid(format!(
                "invalid message: scheduleExpressionTimezone: hotsock-local schedules in UTC only, not {zone:?}"
            )));
        }
        _ => message.schedule_time_utc(),
    };

    let now = SystemTime::now();
    let id = payload.eager_id_generation.then(|| app.hub.ulids.next(now));
    let mut response = String::from("{");
    if let Some(id) = &id {
        response.push_str("\"id\":");
        push_json_string(&mut response, id);
        response.push(',');
    }
    response.push_str("\"channel\":");
    push_json_string(&mut response, &payload.channel);
    response.push_str(",\"event\":");
    push_json_string(&mut response, &payload.event);

    // A repeat within the window is accepted and dropped, as SQS FIFO deduplication does.
    let duplicate = payload
        .deduplication_id
        .as_deref()
        .is_some_and(|d| app.hub.is_duplicate(d));
    match due {
        Some(due) => {
            let schedule = app.hub.ulids.next(now);
            response.push_str(",\"scheduleArn\":");
            push_json_string(
                &mut response,
                &format!(
                    "arn:aws:scheduler:{}:{}:schedule/hotsock-local/{schedule}",
                    app.settings.region, app.settings.account_id
                ),
            );
            if !duplicate {
                let delay = due.duration_since(now).unwrap_or_default();
                let app = Arc::clone(app);
                let mut shutdown = app.shutdown.subscribe();
                tokio::spawn(async move {
                    tokio::select! {
                        () = tokio::time::sleep(delay) => apply(&app, payload, id),
                        _ = shutdown.changed() => {}
                    }
                });
            }
        }
        None if !duplicate => apply(app, payload, id),
        None => {}
    }
    response.push('}');
    Ok(response)
}

fn apply(app: &App, payload: Payload, id: Option<String>) {
    if payload.event == STORAGE_SET {
        app.hub.set_storage(
            &payload.channel,
            payload.key.as_deref().unwrap_or_default(),
            payload.data.as_deref(),
            serde_json::json!({"uid": null, "umd": null}),
            payload.store.unwrap_or(-1),
        );
        return;
    }
    app.hub.deliver(Delivery {
        channel: &payload.channel,
        event: &payload.event,
        data: payload.data.as_deref(),
        meta: None,
        store: payload.store.unwrap_or(0),
        sender: None,
        echo: false,
        id,
    });
}
