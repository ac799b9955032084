//! `hotsock publish`: one message from flags, or many from newline-delimited JSON.

use std::io::{BufRead as _, IsTerminal as _, Write};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::StreamExt as _;
use hotsock::{Message, Publisher};
use serde_json::Value;

/// Publish one message, or every line of a newline-delimited JSON file.
///
/// The installation comes from HOTSOCK_PUBLISH_FUNCTION_ARN, HOTSOCK_AWS_* and the AWS SDK's usual sources
/// (AWS_PROFILE, AWS_REGION, …); flags override them. Prints each response's JSON on stdout.
#[derive(Debug, clap::Args)]
#[command(after_help = r#"Examples:
  hotsock publish --channel chat.room-1 --event message.created --data '{"text":"hi"}'
  hotsock publish --channel chat.room-1 --event profile --key topic --data '"Rust"' --store -1
  hotsock publish --from messages.ndjson --concurrency 32

Each line of --from is a message object: {"channel":"c","event":"e","data":…,"store":60,…}, with the
attributes camelCase as Hotsock documents them."#)]
pub(crate) struct Args {
    /// The channel.
    #[arg(long, required_unless_present = "from", conflicts_with = "from")]
    channel: Option<String>,
    /// The event.
    #[arg(long, required_unless_present = "from", conflicts_with = "from")]
    event: Option<String>,
    /// The message data, as JSON.
    #[arg(long, value_name = "JSON", conflicts_with = "data_file")]
    data: Option<String>,
    /// The message data from a JSON file, or - for stdin.
    #[arg(long, value_name = "PATH")]
    data_file: Option<String>,
    /// deduplicationId: a repeat within 5 minutes is dropped.
    #[arg(long)]
    deduplication_id: Option<String>,
    /// eagerIdGeneration: return the message's ID.
    #[arg(long)]
    eager_id_generation: bool,
    /// emitPubSubEvent: emit hotsock.messagePublished.
    #[arg(long)]
    emit_pub_sub_event: bool,
    /// key: the storage key, with --event hotsock.channelStorageSet.
    #[arg(long)]
    key: Option<String>,
    /// scheduleExpression: at(yyyy-mm-ddThh:mm:ss).
    #[arg(long, value_name = "EXPRESSION")]
    schedule_expression: Option<String>,
    /// scheduleExpressionTimezone: an IANA time zone.
    #[arg(long, value_name = "ZONE")]
    schedule_expression_timezone: Option<String>,
    /// store: seconds to keep the message (-1 forever).
    #[arg(long, allow_hyphen_values = true)]
    store: Option<i64>,
    /// Another attribute, NAME=JSON. Repeatable.
    #[arg(long = "extra", value_name = "NAME=JSON")]
    extras: Vec<String>,
    /// Publish every line of this newline-delimited JSON file (- for stdin).
    #[arg(long, value_name = "FILE")]
    from: Option<String>,
    /// With --from, how many publishes are in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    concurrency: u16,
    #[command(flatten)]
    aws: crate::settings::AwsArgs,
}

pub(crate) fn run(args: Args, out: &mut impl Write) -> anyhow::Result<()> {
    let config = args.aws.config()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let publisher = Publisher::new(&config).await?;
        match &args.from {
            Some(source) => {
                publish_file(&publisher, source, usize::from(args.concurrency), out).await
            }
            None => {
                let output = publisher.publish(&message_from_flags(&args)?).await?;
                out.write_all(output.payload())?;
                writeln!(out)?;
                Ok(())
            }
        }
    })
}

fn message_from_flags(args: &Args) -> anyhow::Result<Message> {
    let channel = args.channel.clone().unwrap_or_default();
    let event = args.event.clone().unwrap_or_default();
    let mut message = Message::new(channel, event);
    let data = match (&args.data, &args.data_file) {
        (Some(json), _) => Some(json.clone()),
        (None, Some(path)) if path == "-" => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .context("cannot read the data from stdin")?;
            Some(text)
        }
        (None, Some(path)) => {
            Some(std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?)
        }
        (None, None) => None,
    };
    if let Some(json) = data {
        let value: Value = serde_json::from_str(&json).context("the data is not valid JSON")?;
        message = message.data(&value);
    }
    if let Some(v) = &args.deduplication_id {
        message = message.deduplication_id(v);
    }
    if args.eager_id_generation {
        message = message.eager_id_generation(true);
    }
    if args.emit_pub_sub_event {
        message = message.emit_pub_sub_event(true);
    }
    if let Some(v) = &args.key {
        message = message.key(v);
    }
    if let Some(v) = &args.schedule_expression {
        message = message.schedule_expression(v);
    }
    if let Some(v) = &args.schedule_expression_timezone {
        message = message.schedule_expression_timezone(v);
    }
    if let Some(v) = args.store {
        message = message.store(v);
    }
    for extra in &args.extras {
        let (name, json) = extra
            .split_once('=')
            .with_context(|| format!("--extra {extra:?} is not NAME=JSON"))?;
        let value: Value =
            serde_json::from_str(json).with_context(|| format!("--extra {name}: not JSON"))?;
        message = message.extra(name, &value);
    }
    message.validate()?;
    Ok(message)
}

async fn publish_file(
    publisher: &Publisher,
    source: &str,
    concurrency: usize,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let reader: Box<dyn std::io::BufRead> = if source == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(source).with_context(|| format!("cannot open {source}"))?,
        ))
    };
    let mut lines = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read line {}", i + 1))?;
        if !line.trim().is_empty() {
            lines.push((i + 1, line));
        }
    }
    let progress = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(lines.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = Instant::now();
    let total = lines.len();
    let mut results = futures_util::stream::iter(lines)
        .map(|(number, line)| async move {
            let result = match Message::from_json(line.as_bytes()) {
                Ok(message) => publisher.publish(&message).await,
                Err(e) => Err(e),
            };
            (number, result)
        })
        .buffered(concurrency);
    let mut failed = 0usize;
    while let Some((number, result)) = results.next().await {
        progress.inc(1);
        match result {
            Ok(output) => {
                out.write_all(output.payload())?;
                writeln!(out)?;
            }
            Err(e) => {
                failed += 1;
                progress.suspend(|| report(&format!("line {number}: {e:#}")));
            }
        }
    }
    progress.finish_and_clear();
    let elapsed = started.elapsed().max(Duration::from_millis(1));
    report(&format!(
        "published {} of {total}, {failed} failed, in {:.2} s ({:.0} messages/s)",
        total - failed,
        elapsed.as_secs_f64(),
        (total - failed) as f64 / elapsed.as_secs_f64()
    ));
    if failed > 0 {
        bail!("{failed} of {total} messages failed");
    }
    Ok(())
}

/// A diagnostic line on stderr.
fn report(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}
