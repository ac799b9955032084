//! The HTTP side: the Lambda Invoke API, the HTTP publish API, the Channels API, and the route to the
//! WebSocket API.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crate::sigv4;

/// Lambda's limit on a synchronous invocation's request payload, plus room for the envelope.
const MAX_BODY: usize = 6 * 1024 * 1024 + 1024;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/2015-03-31/functions/{function}/invocations", post(invoke))
        .route("/publish", post(http_publish))
        .route("/channels/{name}", get(channel_info))
        .route("/channels/{name}/storage", get(channel_storage))
        .route("/", get(crate::ws::upgrade))
        .route("/v1", get(crate::ws::upgrade))
        .with_state(app)
}

fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.into(),
    )
        .into_response()
}

/// An error of the AWS API itself (not of the function), as Lambda reports it.
fn aws_error(status: StatusCode, error_type: &'static str, message: &str) -> Response {
    let mut response = json_response(
        status,
        json!({"Type": "User", "message": message}).to_string(),
    );
    response
        .headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    response
}

/// `POST /2015-03-31/functions/{function}/invocations`: the publish function.
async fn invoke(
    State(app): State<Arc<App>>,
    Path(function): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            return aws_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLargeException",
                "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
            );
        }
    };
    let settings = &app.settings;
    let signed = sigv4::Request {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        body: &body,
    };
    let credentials = sigv4::Credentials {
        access_key_id: &settings.access_key_id,
        secret_access_key: &settings.secret_access_key.0,
    };
    if let Err(refusal) = sigv4::verify(
        &signed,
        &credentials,
        &settings.region,
        "lambda",
        SystemTime::now(),
    ) {
        return aws_error(StatusCode::FORBIDDEN, refusal.error_type, &refusal.message);
    }
    let arn = settings.function_arn();
    let name = function.strip_suffix(":$LATEST").unwrap_or(&function);
    if name != settings.function_name && name != arn {
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("Function not found: {function}"),
        );
    }
    let invocation_type = parts
        .headers
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse");
    match invocation_type {
        "DryRun" => return StatusCode::NO_CONTENT.into_response(),
        "Event" => {
            // the result is not reported to the caller, as with a real asynchronous invocation
            let _ = crate::publish::publish(&app, &body);
            return StatusCode::ACCEPTED.into_response();
        }
        "RequestResponse" => {}
        other => {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                &format!("invocation type {other:?} is not one of RequestResponse, Event, DryRun"),
            );
        }
    }
    let mut response = match crate::publish::publish(&app, &body) {
        Ok(output) => json_response(StatusCode::OK, output),
        Err(invalid) => {
            let mut response = json_response(StatusCode::OK, function_error(&invalid));
            response.headers_mut().insert(
                "x-amz-function-error",
                HeaderValue::from_static("Unhandled"),
            );
            response
        }
    };
    response.headers_mut().insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    response
}

/// The body of a refused message, in the Lambda runtime's error shape.
fn function_error(invalid: &crate::publish::Invalid) -> String {
    json!({"errorType": crate::publish::Invalid::ERROR_TYPE, "errorMessage": invalid.0}).to_string()
}

/// Whether the request carries one of the HTTP API keys as `Authorization: Bearer`.
fn authorized(app: &App, headers: &HeaderMap) -> bool {
    let Some(key) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    app.settings.http_api_keys.iter().any(|k| {
        aws_lc_rs::constant_time::verify_slices_are_equal(k.0.as_bytes(), key.trim().as_bytes())
            .is_ok()
    })
}

fn unauthorized() -> Response {
    json_response(
        StatusCode::UNAUTHORIZED,
        json!({"error": "a valid API key is required as Authorization: Bearer <key>"}).to_string(),
    )
}

/// `POST /publish`: the HTTP publish API (202 with the same body as Lambda).
async fn http_publish(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    match crate::publish::publish(&app, &body) {
        Ok(output) => json_response(StatusCode::ACCEPTED, output),
        Err(invalid) => json_response(StatusCode::BAD_REQUEST, function_error(&invalid)),
    }
}

/// `GET /channels/{name}`: `{name, subscriptionsCount}`, plus `members` for presence channels.
async fn channel_info(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    let (count, members) = app.hub.channel_info(&name);
    let mut body = json!({"name": name, "subscriptionsCount": count});
    if crate::hub::is_presence(&name) {
        body["members"] = members.iter().map(crate::hub::Member::to_json).collect();
    }
    json_response(StatusCode::OK, body.to_string())
}

#[derive(Deserialize)]
struct StorageQuery {
    after: Option<String>,
    keys: Option<String>,
}

/// `GET /channels/{name}/storage?after=&keys=a,b`: `{"items": [{key, data, meta}]}`, in key order.
async fn channel_storage(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    Query(query): Query<StorageQuery>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    let keys: Option<Vec<&str>> = query.keys.as_deref().map(|k| k.split(',').collect());
    if keys.as_ref().is_some_and(|k| k.len() > 100) {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "at most 100 keys"}).to_string(),
        );
    }
    let items: Vec<serde_json::Value> = app
        .hub
        .storage(&name)
        .into_iter()
        .filter(|(key, _)| query.after.as_deref().is_none_or(|after| key.as_str() > after))
        .filter(|(key, _)| keys.as_ref().is_none_or(|k| k.contains(&key.as_str())))
        .map(|(key, entry)| {
            json!({
                "key": key,
                "data": serde_json::from_str::<serde_json::Value>(entry.data.get()).unwrap_or_default(),
                "meta": entry.meta,
            })
        })
        .collect();
    json_response(StatusCode::OK, json!({"items": items}).to_string())
}
