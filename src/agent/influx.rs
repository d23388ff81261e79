//! A client of one InfluxDB 1.x server's HTTP API, for the agent: `/ping`,
//! reading the schema, and running statements — treating the errors that
//! InfluxDB returns inside HTTP 200 results as errors, and running each
//! statement of a batch even when another one fails.

use std::time::Duration;

use serde::Deserialize;

use crate::schema::{Database, RESERVED, RetentionPolicy, Schema, quote};

#[derive(Debug, thiserror::Error)]
pub enum InfluxError {
    #[error("cannot reach InfluxDB at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("InfluxDB refused the credentials (HTTP {0}); set --influx-username/--influx-password")]
    Auth(u16),
    #[error("InfluxDB: {0}")]
    Statement(String),
    #[error("unexpected answer from InfluxDB: {0}")]
    Protocol(String),
}

pub type Result<T, E = InfluxError> = std::result::Result<T, E>;

pub struct Influx {
    http: reqwest::Client,
    url: String,
    credentials: Option<(String, String)>,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    results: Vec<StatementResult>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct StatementResult {
    statement_id: Option<usize>,
    #[serde(default)]
    series: Vec<Series>,
    error: Option<String>,
}

/// One series of a statement's result.
#[derive(Debug, Deserialize)]
pub struct Series {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub values: Vec<Vec<serde_json::Value>>,
}

impl Series {
    /// Rows read by column name, so columns added by later versions do not matter.
    fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.values.iter().map(|values| Row {
            columns: &self.columns,
            values,
        })
    }
}

struct Row<'a> {
    columns: &'a [String],
    values: &'a [serde_json::Value],
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<&serde_json::Value> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.values.get(i)
    }

    fn text(&self, column: &str) -> Option<String> {
        self.get(column)?.as_str().map(str::to_string)
    }
}

impl Influx {
    pub fn new(url: &str, credentials: Option<(String, String)>) -> Result<Influx> {
        let http = crate::tls::http_client()
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| InfluxError::Protocol(e.to_string()))?;
        Ok(Influx {
            http,
            url: url.trim_end_matches('/').to_string(),
            credentials,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn unreachable(&self, e: reqwest::Error) -> InfluxError {
        InfluxError::Unreachable {
            url: self.url.clone(),
            reason: crate::client::root_cause(&e),
        }
    }

    /// `GET /ping`: the server's version (`X-Influxdb-Version`).
    pub async fn ping(&self) -> Result<String> {
        let resp = self
            .http
            .get(format!("{}/ping", self.url))
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        if !resp.status().is_success() {
            return Err(InfluxError::Protocol(format!(
                "/ping answered {}",
                resp.status()
            )));
        }
        Ok(resp
            .headers()
            .get("X-Influxdb-Version")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("unknown")
            .trim_start_matches('v')
            .to_string())
    }

    /// Posts `statements` as one query.
    async fn post(&self, statements: &[String]) -> Result<Response> {
        let mut req = self
            .http
            .post(format!("{}/query", self.url))
            .form(&[("q", statements.join(";\n"))]);
        if let Some((user, password)) = &self.credentials {
            req = req.basic_auth(user, Some(password));
        }
        let resp = req.send().await.map_err(|e| self.unreachable(e))?;
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            return Err(InfluxError::Auth(status));
        }
        let bytes = resp.bytes().await.map_err(|e| self.unreachable(e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            InfluxError::Protocol(format!(
                "HTTP {status}: {e}: {}",
                String::from_utf8_lossy(&bytes)
            ))
        })
    }

    /// Runs `statements` in one request; any statement's error fails it.
    pub async fn query(&self, statements: &[String]) -> Result<Vec<Vec<Series>>> {
        let parsed = self.post(statements).await?;
        if let Some(error) = parsed.error {
            return Err(InfluxError::Statement(error));
        }
        for (result, statement) in parsed.results.iter().zip(statements) {
            if let Some(error) = &result.error {
                return Err(InfluxError::Statement(format!("{error} (in: {statement})")));
            }
        }
        if parsed.results.len() != statements.len() {
            return Err(InfluxError::Protocol(format!(
                "{} results for {} statements",
                parsed.results.len(),
                statements.len()
            )));
        }
        Ok(parsed.results.into_iter().map(|r| r.series).collect())
    }

    /// Runs every statement, one failing not stopping the others, and says
    /// how each went. Only an unreachable server or refused credentials
    /// fail the call.
    pub async fn execute(&self, statements: &[String]) -> Result<Vec<Result<(), String>>> {
        Ok(self
            .answers(statements)
            .await?
            .into_iter()
            .map(|r| r.error.map_or(Ok(()), Err))
            .collect())
    }

    /// Each statement's own result. InfluxDB stops a query at its first
    /// failing statement and refuses a whole query it cannot parse, so
    /// statements are sent in batches and any a batch did not answer
    /// without error is run again on its own.
    async fn answers(&self, statements: &[String]) -> Result<Vec<StatementResult>> {
        const BATCH: usize = 200;
        let mut answers: Vec<Option<StatementResult>> = Vec::new();
        answers.resize_with(statements.len(), || None);
        for (b, batch) in statements.chunks(BATCH).enumerate() {
            let parsed = self.post(batch).await?;
            if parsed.error.is_some() {
                continue;
            }
            for r in parsed.results {
                if let (Some(i), None) = (r.statement_id, &r.error) {
                    if let Some(slot) = answers.get_mut(b * BATCH + i).filter(|_| i < batch.len()) {
                        *slot = Some(r);
                    }
                }
            }
        }
        for (slot, statement) in answers.iter_mut().zip(statements) {
            if slot.is_none() {
                let mut alone = self.post(std::slice::from_ref(statement)).await?;
                let error = alone.error.take();
                *slot = Some(match (error, alone.results.into_iter().next()) {
                    (None, Some(r)) => r,
                    (error, _) => StatementResult {
                        statement_id: Some(0),
                        series: Vec::new(),
                        error: Some(error.unwrap_or_else(|| "no result".into())),
                    },
                });
            }
        }
        Ok(answers
            .into_iter()
            .map(|a| a.expect("every slot filled"))
            .collect())
    }

    /// Every database but the reserved ones, with policies and queries. A
    /// database dropped between the requests that read it is left out.
    pub async fn schema(&self) -> Result<Schema> {
        let first = self
            .query(&["SHOW DATABASES".into(), "SHOW CONTINUOUS QUERIES".into()])
            .await?;
        let mut schema = Schema::default();
        for series in &first[0] {
            for row in series.rows() {
                if let Some(name) = row.text("name") {
                    if !RESERVED.contains(&name.as_str()) {
                        schema.databases.insert(name, Database::default());
                    }
                }
            }
        }
        for series in &first[1] {
            let Some(db) = schema.databases.get_mut(&series.name) else {
                continue;
            };
            for row in series.rows() {
                if let (Some(name), Some(text)) = (row.text("name"), row.text("query")) {
                    db.continuous_queries.insert(name, text);
                }
            }
        }
        let names: Vec<String> = schema.databases.keys().cloned().collect();
        if names.is_empty() {
            return Ok(schema);
        }
        let statements: Vec<String> = names
            .iter()
            .map(|db| format!("SHOW RETENTION POLICIES ON {}", quote(db)))
            .collect();
        let answers = self.answers(&statements).await?;
        for (db, result) in names.iter().zip(answers) {
            if let Some(error) = result.error {
                if error.starts_with("database not found") {
                    schema.databases.remove(db);
                    continue;
                }
                return Err(InfluxError::Statement(format!(
                    "{error} (in: SHOW RETENTION POLICIES ON {})",
                    quote(db)
                )));
            }
            let d = schema.databases.get_mut(db).expect("listed above");
            for series in &result.series {
                for row in series.rows() {
                    let (Some(name), Some(duration), Some(shard_duration)) = (
                        row.text("name"),
                        row.text("duration"),
                        row.text("shardGroupDuration"),
                    ) else {
                        return Err(InfluxError::Protocol(format!(
                            "retention policies of {db}: missing columns {:?}",
                            series.columns
                        )));
                    };
                    d.retention_policies.insert(
                        name,
                        RetentionPolicy {
                            duration,
                            shard_duration,
                            replication: row.get("replicaN").and_then(|v| v.as_u64()).unwrap_or(1),
                            default: row
                                .get("default")
                                .and_then(|v| v.as_bool())
                                .unwrap_or(false),
                        },
                    );
                }
            }
        }
        Ok(schema)
    }
}
