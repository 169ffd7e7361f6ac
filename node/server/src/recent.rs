//! The recent requests behind `.show queries` and `.show commands`: a bounded log of what ran,
//! for how long, and how it ended.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tarn_common::limits::RECENT_REQUESTS_MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Query,
    Command,
}

#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub id: u64,
    pub kind: RequestKind,
    pub client_request_id: String,
    pub text: String,
    pub database: String,
    pub started_nanos: i64,
    pub finished_nanos: Option<i64>,
    /// `InProgress`, `Completed` or `Failed`.
    pub state: &'static str,
    pub failure: String,
}

/// Text kept per request: long queries are cut.
const RECENT_TEXT_BYTES_MAX: usize = 4096;

#[derive(Default)]
pub struct RecentRequests {
    next_id: AtomicU64,
    records: Mutex<VecDeque<RequestRecord>>,
}

fn now_nanos() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

impl RecentRequests {
    pub fn begin(&self, kind: RequestKind, client_request_id: &str, database: &str, text: &str) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut cut = text.len().min(RECENT_TEXT_BYTES_MAX);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let record = RequestRecord {
            id,
            kind,
            client_request_id: client_request_id.to_string(),
            text: text[..cut].to_string(),
            database: database.to_string(),
            started_nanos: now_nanos(),
            finished_nanos: None,
            state: "InProgress",
            failure: String::new(),
        };
        let mut records = self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if records.len() >= RECENT_REQUESTS_MAX {
            records.pop_front();
        }
        records.push_back(record);
        id
    }

    pub fn finish(&self, id: u64, failure: Option<String>) {
        let mut records = self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(record) = records.iter_mut().rev().find(|record| record.id == id) {
            record.finished_nanos = Some(now_nanos());
            match failure {
                Some(reason) => {
                    record.state = "Failed";
                    record.failure = reason;
                }
                None => record.state = "Completed",
            }
        }
    }

    pub fn snapshot(&self, kind: Option<RequestKind>) -> Vec<RequestRecord> {
        let records = self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        records.iter().filter(|record| kind.is_none_or(|wanted| record.kind == wanted)).cloned().collect()
    }
}
