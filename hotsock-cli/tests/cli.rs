//! The built `hotsock` binary, run as a user runs it.

#[path = "../../hotsock/tests/it/verify.rs"]
mod verify;

#[allow(
    dead_code,
    reason = "the CLI's tests use the fixture only, not the lock or the reply queue"
)]
#[path = "../../hotsock/tests/it/moto.rs"]
mod moto;

/// `hotsock local` and `hotsock demo`.
#[path = "cli/local.rs"]
mod local;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use hotsock::Algorithm;

fn hotsock(args: &[&str], dir: &Path) -> Output {
    hotsock_with(args, dir, &[])
}

/// Runs the binary with only the given HOTSOCK_* variables (none from the developer's shell).
fn hotsock_with(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hotsock"));
    command.args(args).current_dir(dir).stdin(Stdio::null());
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("HOTSOCK_")) {
        command.env_remove(name);
    }
    command.envs(env.iter().copied()).output().unwrap()
}

/// The HOTSOCK_* settings of the moto installation.
fn moto_env() -> Vec<(&'static str, &'static str)> {
    let f = moto::fixture();
    vec![
        ("HOTSOCK_PUBLISH_FUNCTION_ARN", f.function_name.as_str()),
        ("HOTSOCK_AWS_REGION", f.region.as_str()),
        ("HOTSOCK_AWS_ENDPOINT_URL", f.endpoint.as_str()),
        ("HOTSOCK_AWS_ACCESS_KEY_ID", f.access_key_id.as_str()),
        (
            "HOTSOCK_AWS_SECRET_ACCESS_KEY",
            f.secret_access_key.as_str(),
        ),
    ]
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hotsock-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A runtime error: exit 1, one `error: …` line on stderr, nothing on stdout.
fn assert_runtime_error(output: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing on stdout");
    assert!(
        stderr.starts_with("error: ") && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert!(stderr.contains(needle), "{needle:?} in {stderr}");
}

#[test]
fn keygen_then_token_for_every_algorithm_verifies_independently() {
    let dir = temp_dir("roundtrip");
    for alg in Algorithm::ALL {
        let file = format!("key-{alg}");
        let printed = stdout(&hotsock(
            &["keygen", "--alg", alg.as_str(), "--out", &file],
            &dir,
        ));
        let parameter = printed
            .lines()
            .find_map(|l| l.strip_prefix("SigningKey1EncodedParameter: "))
            .unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(parameter)
            .unwrap();
        assert!(
            printed.contains(&format!("SigningKey1MethodParameter: {alg}\n")),
            "{printed}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(&file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{alg}: the key file is private");
        }
        let output = hotsock(
            &[
                "token",
                r#"{"scope":"connect"}"#,
                "--key-file",
                &file,
                "--alg",
                alg.as_str(),
                "--ttl",
                "60",
                "--uid",
                "u1",
                "--channel",
                "chat:subscribe,publish",
                "--kid",
                "k1",
            ],
            &dir,
        );
        let token = stdout(&output).trim_end().to_owned();
        assert_eq!(token.lines().count(), 1, "the token alone");
        if alg.is_hmac() {
            let secret = std::fs::read(dir.join(&file)).unwrap();
            assert_eq!(decoded, secret, "the Base64 of the secret");
            verify::verify_with(&token, alg, Some(&secret), None);
        } else {
            let pem = printed.split_once("public key:\n").unwrap().1;
            assert_eq!(
                decoded,
                pem.as_bytes(),
                "the parameter is the Base64 of the printed PEM"
            );
            verify::verify_with(&token, alg, None, Some(pem.as_bytes()));
        }
        // decode --verify with the public key (or the secret) the keygen printed
        let verify_key = if alg.is_hmac() {
            file.clone()
        } else {
            let pem_file = format!("{file}.pub");
            std::fs::write(
                dir.join(&pem_file),
                printed.split_once("public key:\n").unwrap().1,
            )
            .unwrap();
            pem_file
        };
        let shown = stdout(&hotsock(&["decode", &token, "--verify", &verify_key], &dir));
        assert!(shown.contains("signature: verified"), "{shown}");
        assert!(shown.contains(&format!("\"alg\": \"{alg}\"")), "{shown}");
        assert!(
            shown.contains("exp: 20") && shown.contains("(expires in "),
            "{shown}"
        );
        let mut forged = token.clone();
        forged.truncate(forged.len() - 4);
        forged.push_str(if token.ends_with("AAAA") {
            "BBBB"
        } else {
            "AAAA"
        });
        assert_runtime_error(
            &hotsock(&["decode", &forged, "--verify", &verify_key], &dir),
            "the signature does not verify",
        );

        let payload = token.split('.').nth(1).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["scope"], "connect");
        assert_eq!(claims["uid"], "u1");
        assert_eq!(
            claims["channels"],
            serde_json::json!({"chat": {"subscribe": true, "messages": {"*": {"publish": true}}}})
        );
        assert!(claims["exp"].as_u64().unwrap() > 1_700_000_000);
    }
}

#[test]
fn keygen_refuses_to_overwrite_without_force() {
    let dir = temp_dir("overwrite");
    stdout(&hotsock(&["keygen"], &dir));
    assert!(
        dir.join("hotsock-es256.pem").exists(),
        "the default file name"
    );
    let output = hotsock(&["keygen"], &dir);
    assert_runtime_error(&output, "exists (use --force to overwrite it)");
    std::fs::set_permissions(
        dir.join("hotsock-es256.pem"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    stdout(&hotsock(&["keygen", "--force"], &dir));
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(dir.join("hotsock-es256.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "an overwritten key file is made private"
    );
}

#[test]
fn token_reads_claims_from_a_file_and_stdin() {
    let dir = temp_dir("claims");
    stdout(&hotsock(&["keygen", "--out", "k.pem"], &dir));
    std::fs::write(
        dir.join("claims.json"),
        r#"{"z":1,"scope":"subscribe","a":2}"#,
    )
    .unwrap();
    let token = stdout(&hotsock(
        &[
            "token",
            "@claims.json",
            "--key-file",
            "k.pem",
            "--exp",
            "1900000000",
        ],
        &dir,
    ));
    let payload = token.trim_end().split('.').nth(1).unwrap();
    let json = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        json, r#"{"z":1,"scope":"subscribe","a":2,"exp":1900000000}"#,
        "the user's order is kept"
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_hotsock"))
        .args(["token", "-", "--key-file", "k.pem", "--ttl", "5"])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"scope":"connect"}"#)
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(stdout(&output).starts_with("eyJ"));
}

#[test]
fn token_errors_exit_1_with_one_line() {
    let dir = temp_dir("errors");
    stdout(&hotsock(&["keygen", "--out", "ec.pem"], &dir));
    assert_runtime_error(
        &hotsock(
            &["token", "{not json", "--key-file", "ec.pem", "--ttl", "5"],
            &dir,
        ),
        "the claims are not valid JSON",
    );
    assert_runtime_error(
        &hotsock(
            &["token", "[1]", "--key-file", "ec.pem", "--ttl", "5"],
            &dir,
        ),
        "must be a JSON object, not an array",
    );
    assert_runtime_error(&hotsock(&["token", "--ttl", "5"], &dir), "no signing key");
    assert_runtime_error(
        &hotsock(
            &[
                "token",
                "--key-file",
                "ec.pem",
                "--alg",
                "RS256",
                "--ttl",
                "5",
            ],
            &dir,
        ),
        "the key is an EC P-256 key, but RS256 needs an RSA key",
    );
    assert_runtime_error(
        &hotsock(&["token", "--key-file", "missing.pem", "--ttl", "5"], &dir),
        "cannot read the key file",
    );
    assert_runtime_error(
        &hotsock(&["token", "--key-file", "ec.pem"], &dir),
        "Hotsock rejects tokens without one",
    );
    assert_runtime_error(
        &hotsock(
            &[
                "token",
                "--key-file",
                "ec.pem",
                "--ttl",
                "5",
                "--channel",
                "c:fly",
            ],
            &dir,
        ),
        "unknown directive",
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = temp_dir("usage");
    for args in [
        &["token", "--no-such-flag"][..],
        &["keygen", "--alg", "ES999"],
        &["frobnicate"],
        &[],
    ] {
        let output = hotsock(args, &dir);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn help_has_examples_and_completions_print() {
    let dir = temp_dir("help");
    for command in [
        "keygen",
        "token",
        "decode",
        "publish",
        "config",
        "completions",
    ] {
        let help = stdout(&hotsock(&[command, "--help"], &dir));
        assert!(help.contains("Examples:"), "{command} --help: {help}");
    }
    for shell in ["bash", "zsh", "fish"] {
        assert!(stdout(&hotsock(&["completions", shell], &dir)).contains("hotsock"));
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let dir = temp_dir("pipe");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // the reader is gone before anything is written: every write fails with EPIPE
    let output = Command::new(env!("CARGO_BIN_EXE_hotsock"))
        .args(["completions", "zsh"])
        .current_dir(&dir)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty(), "no error message either");
}

#[test]
fn publish_one_message_against_moto() {
    let dir = temp_dir("publish");
    let output = hotsock_with(
        &[
            "publish",
            "--channel",
            "mychannel",
            "--event",
            "myevent",
            "--data",
            r#"{"a":1}"#,
            "--store",
            "-1",
            "--extra",
            "someNewParam=true",
        ],
        &dir,
        &moto_env(),
    );
    // moto echoes the payload it received
    assert_eq!(
        stdout(&output),
        "{\"event\":\"myevent\",\"channel\":\"mychannel\",\"data\":{\"a\":1},\"store\":-1,\"someNewParam\":true}\n"
    );
}

#[test]
fn publish_from_a_file_with_a_bad_line_in_the_middle() {
    let dir = temp_dir("publish-from");
    let lines = [
        r#"{"channel":"c1","event":"e","data":{"n":1}}"#,
        r#"{"channel":"c2","event":"e","data":{"n":2},"store":60}"#,
        r#"{"channel":"bad#channel","event":"e"}"#,
        "",
        r#"{not json"#,
        r#"{"channel":"c5","event":"e","eagerIdGeneration":true,"someNewParam":"x"}"#,
        r#"{"channel":"c6","event":"e"}"#,
    ];
    std::fs::write(dir.join("messages.ndjson"), lines.join("\n")).unwrap();
    let output = hotsock_with(
        &["publish", "--from", "messages.ndjson", "--concurrency", "2"],
        &dir,
        &moto_env(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // every good line reached moto, whose echoes come back in input order
    let echoed: Vec<&str> = std::str::from_utf8(&output.stdout)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(
        echoed,
        [
            r#"{"event":"e","channel":"c1","data":{"n":1}}"#,
            r#"{"event":"e","channel":"c2","data":{"n":2},"store":60}"#,
            r#"{"event":"e","channel":"c5","eagerIdGeneration":true,"someNewParam":"x"}"#,
            r#"{"event":"e","channel":"c6"}"#,
        ]
    );
    assert!(
        stderr.contains("line 3: invalid message: channel: must not contain '#'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 5: invalid message: not valid JSON"),
        "{stderr}"
    );
    assert!(stderr.contains("published 4 of 6, 2 failed"), "{stderr}");
    assert!(
        stderr.trim_end().ends_with("error: 2 of 6 messages failed"),
        "{stderr}"
    );
}

#[test]
fn publish_errors() {
    let dir = temp_dir("publish-errors");
    let mut env = moto_env();
    env.retain(|(n, _)| *n != "HOTSOCK_AWS_SECRET_ACCESS_KEY");
    env.push((
        "HOTSOCK_AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGSECRET",
    ));
    let output = hotsock_with(&["publish", "--channel", "c", "--event", "e"], &dir, &env);
    assert_runtime_error(&output, "aws refused the credentials");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("WRONGSECRET"),
        "no secret in errors"
    );
    assert_runtime_error(
        &hotsock_with(
            &["publish", "--channel", "a b", "--event", "e"],
            &dir,
            &moto_env(),
        ),
        "invalid message: channel",
    );
    let output = hotsock(&["publish", "--event", "e"], &dir);
    assert_eq!(
        output.status.code(),
        Some(2),
        "a missing --channel is a usage error"
    );
}

#[test]
fn decode_without_verify_and_the_algorithm_confusion_attack() {
    let dir = temp_dir("decode");
    let printed = stdout(&hotsock(
        &["keygen", "--alg", "RS256", "--out", "rsa.pem"],
        &dir,
    ));
    let public = printed.split_once("public key:\n").unwrap().1;
    std::fs::write(dir.join("rsa.pub"), public).unwrap();
    // a token forged with HS256 and the public key PEM as the HMAC secret, by the independent jsonwebtoken
    let key = jsonwebtoken::EncodingKey::from_secret(public.as_bytes()).unwrap();
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let mac = jsonwebtoken::encode(
        &header,
        &serde_json::json!({"scope": "connect", "exp": 4102444800u64}),
        &key,
    )
    .unwrap();
    assert_runtime_error(
        &hotsock(&["decode", &mac, "--verify", "rsa.pub"], &dir),
        "takes a shared secret, but this is a PEM key",
    );
    // without --verify it decodes, and says it did not verify
    let shown = stdout(&hotsock(&["decode", &mac], &dir));
    assert!(
        shown.contains("\"scope\": \"connect\"") && shown.contains("signature: not verified"),
        "{shown}"
    );
    assert!(
        shown.contains("exp: 2100-01-01T00:00:00Z (expires in "),
        "{shown}"
    );
    assert_runtime_error(&hotsock(&["decode", "not.a.token"], &dir), "invalid token");
}

#[test]
fn config_shows_values_and_sources_with_secrets_redacted() {
    let dir = temp_dir("config");
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY99";
    let env = [
        ("HOTSOCK_PUBLISH_FUNCTION_ARN", "Hotsock-PublishFunction"),
        ("HOTSOCK_AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("HOTSOCK_AWS_SECRET_ACCESS_KEY", secret),
        ("HOTSOCK_AWS_REGION", "us-east-1"),
    ];
    let shown = stdout(&hotsock_with(
        &["config", "--region", "eu-west-1"],
        &dir,
        &env,
    ));
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap()
            .to_owned()
    };
    assert!(
        line("aws_region").contains("eu-west-1") && line("aws_region").ends_with("--region"),
        "{shown}"
    );
    assert!(
        line("publish_function_arn").ends_with("HOTSOCK_PUBLISH_FUNCTION_ARN"),
        "{shown}"
    );
    assert!(
        line("aws_secret_access_key").contains("[redacted]"),
        "{shown}"
    );
    assert!(
        line("issuer_key_algorithm").contains("ES256")
            && line("issuer_key_algorithm").ends_with("default")
    );
    assert!(shown.trim_end().ends_with("valid: can publish"), "{shown}");
    assert!(!shown.contains(secret), "the secret never shows");

    let output = hotsock_with(&["config"], &dir, &[("HOTSOCK_ISSUER_TOKEN_TTL", "ten")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: invalid configuration: issuer_token_ttl: HOTSOCK_ISSUER_TOKEN_TTL must be a whole number"), "{stderr}");
}

#[test]
fn publish_with_a_named_profile() {
    let dir = temp_dir("profile");
    let f = moto::fixture();
    std::fs::write(
        dir.join("credentials"),
        format!(
            "[moto]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            f.access_key_id, f.secret_access_key
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("config"),
        format!("[profile moto]\nregion = {}\n", f.region),
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_hotsock"));
    for (name, _) in
        std::env::vars().filter(|(n, _)| n.starts_with("HOTSOCK_") || n.starts_with("AWS_"))
    {
        command.env_remove(name);
    }
    // no keys and no region from HOTSOCK_*: both come from the profile the flag names
    let output = command
        .args([
            "publish",
            "--profile",
            "moto",
            "--channel",
            "c",
            "--event",
            "e",
            "--function-arn",
            &f.function_name,
        ])
        .args(["--endpoint-url", &f.endpoint])
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
        .env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(stdout(&output), "{\"event\":\"e\",\"channel\":\"c\"}\n");
}
