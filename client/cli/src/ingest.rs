//! `tarn ingest FILE... --table T`: each file streamed in chunks with a progress bar (bytes,
//! rate, ETA). Each file goes up under an ingestion tag derived from the table and the file's
//! path, size and modification time (or `--tag`), so re-running an interrupted command skips the
//! chunks the server already has and adds only the rest.

use std::path::Path;
use std::time::{Instant, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressStyle};
use tarn_client::{Client, DataFormat, IngestOptions};

use crate::IngestArgs;
use crate::session::print_error;

/// FNV-1a, 64 bits: a stable digest for the default tag (not for security).
fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The tag a file is ingested under unless `--tag` is given: the same file (same path, size and
/// modification time) into the same table gets the same tag.
pub fn default_tag(table: &str, path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let metadata = std::fs::metadata(path).ok();
    let size = metadata.as_ref().map_or(0, std::fs::Metadata::len);
    let modified = metadata
        .and_then(|metadata| metadata.modified().ok())
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_nanos());
    let identity = format!("{table}|{}|{size}|{modified}", absolute.display());
    format!("tarn-cli-{:016x}", fnv1a(&identity))
}

pub async fn run(client: &Client, database: &str, args: IngestArgs) -> bool {
    let mut all_succeeded = true;
    for path in &args.files {
        let format = match &args.format {
            Some(name) => DataFormat::parse(name),
            None => DataFormat::from_path(path),
        };
        let Some(format) = format else {
            eprintln!(
                "error: {}: unknown format; name it with --format (csv, tsv, psv, json, multijson, parquet)",
                path.display()
            );
            all_succeeded = false;
            continue;
        };
        let size = std::fs::metadata(path).map_or(0, |metadata| metadata.len());
        let tag = match &args.tag {
            Some(tag) if args.files.len() > 1 => {
                format!("{tag}-{}", fnv1a(&path.display().to_string()))
            }
            Some(tag) => tag.clone(),
            None => default_tag(&args.table, path),
        };
        let bar = if args.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(size)
        };
        let style = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .map(|style| style.progress_chars("=> "));
        if let Ok(style) = style {
            bar.set_style(style);
        }
        bar.set_message(path.display().to_string());
        let progress_bar = bar.clone();
        let mut options = IngestOptions::new(format)
            .tag(tag)
            .chunk_bytes_max(args.chunk_mb.max(1) * 1024 * 1024)
            .ignore_first_record(args.ignore_first_record)
            .on_progress(move |progress| progress_bar.set_position(progress.source_bytes));
        if let Some(mapping) = &args.mapping {
            options = options.mapping_name(mapping.clone());
        }
        let started = Instant::now();
        match client
            .ingest_file(database, &args.table, path, options)
            .await
        {
            Ok(report) => {
                bar.finish_and_clear();
                let seconds = started.elapsed().as_secs_f64().max(1e-9);
                let progress = report.progress;
                let skipped = if progress.chunks_already_ingested > 0 {
                    format!(
                        ", {} of {} chunks were already ingested",
                        progress.chunks_already_ingested, progress.chunks
                    )
                } else {
                    String::new()
                };
                println!(
                    "{}: {} rows in {:.2} s ({:.0} rows/s), tag {}{skipped}",
                    path.display(),
                    progress.rows,
                    seconds,
                    progress.rows as f64 / seconds,
                    report.tag
                );
            }
            Err(error) => {
                bar.abandon();
                print_error(&error, "");
                eprintln!(
                    "(re-run the same command to resume: chunks already ingested are skipped)"
                );
                all_succeeded = false;
            }
        }
    }
    all_succeeded
}
