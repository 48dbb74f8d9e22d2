//! The metadata workload: an admin client creating one more topic every so often while the
//! nemesis works (each creation forwarded to whichever controller is active, so failovers catch
//! some mid-flight), and the liveness phase's list of topics that `lost-topic` holds the
//! acknowledged creations to.

use std::sync::Arc;
use std::time::Duration;

use weir::client::admin::Admin;

use super::workload::{create_topic_once, options, Creation, Recorder, TopicShape};
use crate::history::{Op, Outcome, Process};

/// The metadata workload: one more single-partition topic every `every_ms` until `stop`, each
/// creation through whichever broker answers (so it is forwarded to the active controller, and
/// often caught by a controller failover).
pub async fn create_topics(
    bootstrap: String,
    every_ms: u64,
    recorder: Recorder,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut number = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(every_ms)).await;
        let name = format!("more-{number}");
        number += 1;
        let op = || Op::CreateTopic { name: name.clone() };
        recorder.record(Process::Admin, Outcome::Invoke, op());
        // Even a refusal may come after a commit (a forwarded request timing out while the
        // controller fails over): only acknowledgements are facts.
        let outcome = match create_topic_once(&bootstrap, &name, &TopicShape::single(1)).await {
            Creation::Created => Outcome::Ok,
            Creation::Unknown => Outcome::Info,
            Creation::NotConnected => Outcome::Fail,
        };
        let word = if outcome == Outcome::Ok {
            "ok"
        } else {
            "unknown"
        };
        (recorder.trace()).event("admin", format_args!("create topic {name} {word}"));
        recorder.record(Process::Admin, outcome, op());
    }
}

/// The liveness phase's topic list, for `lost-topic`: retried until some broker answers.
pub async fn list_topics(bootstrap: &str, recorder: &Recorder) -> Result<(), String> {
    recorder.record(
        Process::FinalReader,
        Outcome::Invoke,
        Op::ListTopics { names: Vec::new() },
    );
    for _ in 0..50 {
        if let Ok(admin) = Admin::connect(options(bootstrap)).await {
            if let Ok(names) = admin.list_topics(false).await {
                let shown = names.len();
                (recorder.trace()).event("final-reader", format_args!("listed {shown} topics"));
                recorder.record(Process::FinalReader, Outcome::Ok, Op::ListTopics { names });
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err("no broker listed the topics".into())
}
