//! The consumer (manual assignment): positions, seeks, and `poll`.
//!
//! Each assigned partition has a position, the offset of the next record to return. A new
//! assignment or a seek to the beginning or end leaves a pending reset that `poll` resolves with
//! ListOffsets. `poll` sends one Fetch per leader in parallel, decodes the batches (all codecs),
//! drops records below the position (a fetch that starts inside a batch returns the whole batch)
//! and advances the position past every whole batch, control batches included.
//! OFFSET_OUT_OF_RANGE resets the partition per `auto.offset.reset`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use super::cluster::{Cluster, ClusterOptions};
use super::error::{code_is_retriable, code_needs_metadata_refresh, ClientError, Result};
use super::fetch::{fetch, FetchLimits, FetchedPartition};
use super::offsets::{list_offsets, OffsetSpec};
use super::records::{decode_records, ConsumerRecord};
use crate::runtime::{self, JoinHandle};
use crate::types::TopicPartition;

/// OFFSET_OUT_OF_RANGE: the position is before the log start or after the log end.
const OFFSET_OUT_OF_RANGE: i16 = 1;

/// `auto.offset.reset`: where to start without a position, or after falling off the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    Earliest,
    Latest,
    /// Fail the poll instead.
    None,
}

/// Consumer settings, named after Kafka's.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub cluster: ClusterOptions,
    pub auto_offset_reset: OffsetReset,
    pub fetch: FetchLimits,
    /// `max.poll.records`
    pub max_poll_records: usize,
}

impl ConsumerConfig {
    /// Kafka's defaults (auto.offset.reset=latest, fetch.max.wait.ms=500).
    pub fn new(bootstrap: &str) -> Self {
        Self {
            cluster: ClusterOptions::new(bootstrap),
            auto_offset_reset: OffsetReset::Latest,
            fetch: FetchLimits {
                max_wait: Duration::from_millis(500),
                min_bytes: 1,
                max_bytes: 50 * 1024 * 1024,
                partition_max_bytes: 1024 * 1024,
                isolation_level: 0,
            },
            max_poll_records: 500,
        }
    }
}

/// A consumer of explicitly assigned partitions.
#[derive(Debug)]
pub struct Consumer {
    cluster: Arc<Cluster>,
    config: ConsumerConfig,
    assignment: BTreeSet<TopicPartition>,
    positions: BTreeMap<TopicPartition, i64>,
    resets: BTreeMap<TopicPartition, OffsetSpec>,
    buffered: VecDeque<ConsumerRecord>,
    high_watermarks: BTreeMap<TopicPartition, i64>,
}

impl Consumer {
    /// Connects to the cluster.
    pub async fn new(config: ConsumerConfig) -> Result<Self> {
        let cluster = Cluster::connect(config.cluster.clone()).await?;
        Ok(Self {
            cluster,
            config,
            assignment: BTreeSet::new(),
            positions: BTreeMap::new(),
            resets: BTreeMap::new(),
            buffered: VecDeque::new(),
            high_watermarks: BTreeMap::new(),
        })
    }

    /// The cluster this consumer reads from.
    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    /// Reads exactly these partitions from now on. Partitions kept from the previous
    /// assignment keep their positions; new ones start per `auto.offset.reset`.
    pub fn assign(&mut self, partitions: Vec<TopicPartition>) {
        self.assignment = partitions.into_iter().collect();
        let assignment = &self.assignment;
        self.positions.retain(|tp, _| assignment.contains(tp));
        self.resets.retain(|tp, _| assignment.contains(tp));
        self.buffered
            .retain(|r| assignment.contains(&TopicPartition::new(&r.topic, r.partition)));
        let spec = match self.config.auto_offset_reset {
            OffsetReset::Earliest => Some(OffsetSpec::Earliest),
            OffsetReset::Latest => Some(OffsetSpec::Latest),
            OffsetReset::None => None,
        };
        for tp in &self.assignment {
            if !self.positions.contains_key(tp) && !self.resets.contains_key(tp) {
                if let Some(spec) = spec {
                    self.resets.insert(tp.clone(), spec);
                }
            }
        }
    }

    /// The assigned partitions, sorted.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.assignment.iter().cloned().collect()
    }

    /// Reads `tp` from `offset` next.
    pub fn seek(&mut self, tp: &TopicPartition, offset: i64) {
        self.resets.remove(tp);
        self.positions.insert(tp.clone(), offset);
        self.drop_buffered(tp);
    }

    /// Reads the partitions from their log start next.
    pub fn seek_to_beginning(&mut self, partitions: &[TopicPartition]) {
        self.seek_to(partitions, OffsetSpec::Earliest);
    }

    /// Reads the partitions from their log end next (only records produced from now on).
    pub fn seek_to_end(&mut self, partitions: &[TopicPartition]) {
        self.seek_to(partitions, OffsetSpec::Latest);
    }

    /// Reads the partitions from the first record at or after `timestamp_ms` next.
    pub fn seek_to_timestamp(&mut self, partitions: &[TopicPartition], timestamp_ms: i64) {
        self.seek_to(partitions, OffsetSpec::Timestamp(timestamp_ms));
    }

    /// The position of `tp` (resolving a pending reset first).
    pub async fn position(&mut self, tp: &TopicPartition) -> Result<Option<i64>> {
        self.resolve_positions().await?;
        Ok(self.positions.get(tp).copied())
    }

    /// The high watermark of `tp` as of the last fetch.
    pub fn high_watermark(&self, tp: &TopicPartition) -> Option<i64> {
        self.high_watermarks.get(tp).copied()
    }

    fn seek_to(&mut self, partitions: &[TopicPartition], spec: OffsetSpec) {
        for tp in partitions {
            self.positions.remove(tp);
            self.resets.insert(tp.clone(), spec);
            self.drop_buffered(tp);
        }
    }

    fn drop_buffered(&mut self, tp: &TopicPartition) {
        self.buffered
            .retain(|r| r.topic != tp.topic || r.partition != tp.partition);
    }

    /// Turns pending resets into positions with ListOffsets. A timestamp with no record after
    /// it means the log end.
    pub async fn resolve_positions(&mut self) -> Result<()> {
        if self.resets.is_empty() {
            return Ok(());
        }
        let resets = std::mem::take(&mut self.resets);
        let listed = match list_offsets(&self.cluster, &resets).await {
            Ok(listed) => listed,
            Err(error) => {
                self.resets = resets;
                return Err(error);
            }
        };
        let mut missing_end = BTreeMap::new();
        for (tp, spec) in &resets {
            match listed.get(tp) {
                Some(answer) if answer.offset >= 0 => {
                    self.positions.insert(tp.clone(), answer.offset);
                }
                _ => {
                    missing_end.insert(tp.clone(), OffsetSpec::Latest);
                    tracing::debug!(%tp, ?spec, "no offset for the timestamp; using the log end");
                }
            }
        }
        if !missing_end.is_empty() {
            for (tp, answer) in list_offsets(&self.cluster, &missing_end).await? {
                self.positions.insert(tp, answer.offset);
            }
        }
        Ok(())
    }

    /// Waits up to `timeout` for records from the assigned partitions; returns at most
    /// `max.poll.records`, possibly none.
    pub async fn poll(&mut self, timeout: Duration) -> Result<Vec<ConsumerRecord>> {
        let deadline = runtime::now() + timeout;
        loop {
            if !self.buffered.is_empty() {
                let count = self.buffered.len().min(self.config.max_poll_records.max(1));
                return Ok(self.buffered.drain(..count).collect());
            }
            self.resolve_positions().await?;
            let remaining = deadline.saturating_duration_since(runtime::now());
            let fetched = self.fetch_all(remaining).await;
            if let Err(error) = fetched {
                if !error.is_retriable() {
                    return Err(error);
                }
                tracing::debug!(%error, "fetch failed; retrying after a metadata refresh");
                let _ = (self.cluster.refresh_metadata_paced(Some(&self.topics()))).await;
                if runtime::now() < deadline {
                    self.cluster.backoff().await;
                }
            }
            if self.buffered.is_empty() && runtime::now() >= deadline {
                return Ok(Vec::new());
            }
        }
    }

    fn topics(&self) -> Vec<String> {
        let topics: BTreeSet<String> = self.assignment.iter().map(|tp| tp.topic.clone()).collect();
        topics.into_iter().collect()
    }

    /// One round: a Fetch to every leader at once, results into the buffer.
    async fn fetch_all(&mut self, remaining: Duration) -> Result<()> {
        let metadata = self.cluster.metadata();
        let mut by_leader: BTreeMap<i32, BTreeMap<TopicPartition, i64>> = BTreeMap::new();
        let mut leaderless = false;
        for tp in &self.assignment {
            let Some(&position) = self.positions.get(tp) else {
                continue;
            };
            match metadata.leader(&tp.topic, tp.partition) {
                Some(leader) => {
                    by_leader
                        .entry(leader)
                        .or_default()
                        .insert(tp.clone(), position);
                }
                None => leaderless = true,
            }
        }
        if leaderless {
            (self.cluster.refresh_metadata_paced(Some(&self.topics()))).await?;
        }
        if by_leader.is_empty() {
            if self.positions.is_empty() && self.resets.is_empty() && !self.assignment.is_empty() {
                return Err(ClientError::InvalidConfig {
                    key: "auto.offset.reset",
                    detail: "no position and no reset policy".into(),
                });
            }
            runtime::sleep(remaining.min(self.cluster.options().retry_backoff)).await;
            return Ok(());
        }
        let max_wait = remaining.min(self.config.fetch.max_wait);
        let mut requests: Vec<(i32, JoinHandle<_>)> = Vec::new();
        for (leader, positions) in by_leader {
            let connection = self.cluster.broker_connection(leader).await?;
            let limits = self.config.fetch;
            let handle = runtime::spawn(fetch(connection, positions, limits, max_wait));
            requests.push((leader, handle));
        }
        let mut first_error = None;
        for (leader, handle) in requests {
            match handle.await {
                Ok(Ok(fetched)) => self.absorb(fetched)?,
                Ok(Err(error)) => {
                    tracing::debug!(leader, %error, "fetch failed");
                    first_error.get_or_insert(error);
                }
                Err(_) => {
                    first_error.get_or_insert(ClientError::Disconnected {
                        addr: format!("broker {leader}"),
                    });
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Decodes one response's partitions into the buffer and advances positions.
    fn absorb(&mut self, fetched: BTreeMap<TopicPartition, FetchedPartition>) -> Result<()> {
        let mut refresh = false;
        for (tp, partition) in fetched {
            let Some(&position) = self.positions.get(&tp) else {
                continue;
            };
            match partition.error_code {
                0 => {}
                OFFSET_OUT_OF_RANGE => {
                    self.reset_out_of_range(&tp, position)?;
                    continue;
                }
                code if code_needs_metadata_refresh(code) || code_is_retriable(code) => {
                    refresh = true;
                    continue;
                }
                code => {
                    return Err(ClientError::Kafka {
                        code,
                        context: format!("fetch {tp} at offset {position}"),
                    })
                }
            }
            self.high_watermarks
                .insert(tp.clone(), partition.high_watermark);
            let Some(bytes) = partition.records else {
                continue;
            };
            let decoded = decode_records(&tp.topic, tp.partition, &bytes, position)?;
            if let Some(next) = decoded.next_offset {
                self.positions.insert(tp.clone(), next.max(position));
            }
            self.buffered.extend(decoded.records);
        }
        if refresh {
            return Err(ClientError::NoLeader {
                topic: "<fetch>".into(),
                partition: -1,
            });
        }
        Ok(())
    }

    fn reset_out_of_range(&mut self, tp: &TopicPartition, position: i64) -> Result<()> {
        let spec = match self.config.auto_offset_reset {
            OffsetReset::Earliest => OffsetSpec::Earliest,
            OffsetReset::Latest => OffsetSpec::Latest,
            OffsetReset::None => {
                return Err(ClientError::Kafka {
                    code: OFFSET_OUT_OF_RANGE,
                    context: format!("fetch {tp} at offset {position}"),
                })
            }
        };
        tracing::info!(%tp, position, ?spec, "offset out of range; resetting");
        self.positions.remove(tp);
        self.resets.insert(tp.clone(), spec);
        Ok(())
    }
}
