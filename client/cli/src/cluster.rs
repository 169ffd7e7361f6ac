//! `tarn cluster status`: asks every node `.show cluster` and `.show version` on its own (no
//! failover, no retries, so a down node shows as down) and prints one line per node.

use std::time::{Duration, Instant};

use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use tarn_client::value::display::cell_text;
use tarn_client::{Client, ResultTable, RetryPolicy};

const NODE_TIMEOUT: Duration = Duration::from_secs(5);

/// The value of `column` in the first row of the first table.
fn first_value(tables: &[ResultTable], column: &str) -> String {
    let Some(table) = tables.first() else {
        return String::new();
    };
    let Ok(index) = table.header.schema.index_of(column) else {
        return String::new();
    };
    table
        .batches
        .iter()
        .find(|batch| batch.num_rows() > 0)
        .map(|batch| cell_text(batch.column(index), 0))
        .unwrap_or_default()
}

pub async fn status(client: &Client) -> bool {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "Node URL",
        "Status",
        "Latency",
        "NodeId",
        "RaftState",
        "RaftTerm",
        "AppliedIndex",
        "Version",
    ]);
    let mut all_up = true;
    for index in 0..client.endpoints().len() {
        let url = client.endpoints().get(index).cloned().unwrap_or_default();
        let node = match client.for_endpoint(index, RetryPolicy::never()) {
            Ok(node) => node,
            Err(error) => {
                table.add_row(vec![url, format!("error: {error}")]);
                all_up = false;
                continue;
            }
        };
        let database = node.default_database().to_string();
        let started = Instant::now();
        let asked = tokio::time::timeout(NODE_TIMEOUT, async {
            let cluster = node.execute_mgmt(&database, ".show cluster").await?;
            let version = node.execute_mgmt(&database, ".show version").await?;
            Ok::<_, tarn_client::Error>((cluster, version))
        })
        .await;
        let latency = format!("{:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
        match asked {
            Ok(Ok((cluster, version))) => table.add_row(vec![
                url,
                "up".to_string(),
                latency,
                first_value(&cluster, "NodeId"),
                first_value(&cluster, "RaftState"),
                first_value(&cluster, "RaftTerm"),
                first_value(&cluster, "AppliedIndex"),
                first_value(&version, "ProductVersion"),
            ]),
            Ok(Err(error)) => {
                all_up = false;
                table.add_row(vec![url, format!("down: {error}"), latency])
            }
            Err(_) => {
                all_up = false;
                table.add_row(vec![url, "down: no answer within 5 s".to_string(), latency])
            }
        };
    }
    println!("{table}");
    all_up
}
