//! Finding Rein documents in PostgreSQL: each condition maps onto an index (title + network +
//! order, the fields' GIN containment index, trigram indexes for "contains"). Every value is
//! a bound parameter; "contains" escapes LIKE's metacharacters so they match themselves.

use async_trait::async_trait;
use tokio_postgres::types::ToSql;

use super::errors::db_error;
use super::PostgresStore;
use crate::rein::ReinDocument;
use crate::service::ports::{DocQuery, Documents, FoundDoc, Searchable, StoreError};
use crate::telemetry::metrics::METRICS;

/// The document's fields as one JSON object (first occurrence of each name), for the
/// containment index.
pub(super) fn fields_json(doc: &ReinDocument) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    for (name, value) in &doc.fields {
        object
            .entry(name.clone())
            .or_insert_with(|| serde_json::Value::String(value.clone()));
    }
    serde_json::Value::Object(object)
}

/// `text` as a LIKE pattern matching it anywhere, with `%`, `_` and `\` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The query's SQL and parameters: only the conditions it has, so the planner sees each
/// one and picks its index.
pub fn search_sql(query: &DocQuery) -> (String, Vec<Box<dyn ToSql + Sync + Send>>) {
    let mut sql = String::from("SELECT doc_seq, key, value, bucket_id FROM pairs WHERE doc_valid");
    let mut params: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    let bind = |value: Box<dyn ToSql + Sync + Send>, params: &mut Vec<_>| {
        params.push(value);
        format!("${}", params.len())
    };
    if let Some(title) = &query.title {
        let p = bind(Box::new(title.clone()), &mut params);
        sql.push_str(&format!(" AND doc_title = {p}"));
    }
    if let Some(testnet) = query.testnet {
        let p = bind(Box::new(testnet), &mut params);
        sql.push_str(&format!(" AND testnet = {p}"));
    }
    if !query.fields.is_empty() {
        let mut object = serde_json::Map::new();
        for (name, value) in &query.fields {
            object.insert(name.clone(), serde_json::Value::String(value.clone()));
        }
        // The mediators' own partial index needs the predicate spelled as in its definition.
        let mediators = query.fields.len() == 1
            && query.fields[0] == ("Willing to mediate".to_owned(), "True".to_owned());
        if mediators {
            sql.push_str(" AND doc_fields ->> 'Willing to mediate' = 'True'");
        } else {
            let p = bind(Box::new(serde_json::Value::Object(object)), &mut params);
            sql.push_str(&format!(" AND doc_fields @> {p}"));
        }
    }
    if let Some((field, text)) = &query.contains {
        let column = match field {
            Searchable::User => "doc_user",
            Searchable::Contact => "doc_contact",
        };
        let p = bind(
            Box::new(contains_pattern(&text.to_lowercase())),
            &mut params,
        );
        sql.push_str(&format!(" AND {column} LIKE {p} ESCAPE '\\'"));
    }
    let p = bind(Box::new(query.limit), &mut params);
    sql.push_str(&format!(" ORDER BY doc_seq LIMIT {p}"));
    (sql, params)
}

#[async_trait]
impl Documents for PostgresStore {
    #[tracing::instrument(name = "postgres.find_documents", skip_all)]
    async fn find_documents(&self, query: &DocQuery) -> Result<Vec<FoundDoc>, StoreError> {
        let _timer = METRICS.time_postgres("find_documents");
        let (sql, params) = search_sql(query);
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let client = self.client().await?;
        let rows = client.query(&sql, &refs).await.map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let value: Vec<u8> = row.get(2);
                Ok(FoundDoc {
                    seq: row.get(0),
                    bucket_id: row.get(3),
                    key: row.get(1),
                    value: String::from_utf8(value)
                        .map_err(|_| StoreError::Internal("stored value is not UTF-8".into()))?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_metacharacters_match_only_themselves() {
        assert_eq!(contains_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(contains_pattern(""), "%%");
    }

    #[test]
    fn only_the_given_conditions_reach_the_sql() {
        let (sql, params) = search_sql(&DocQuery {
            title: Some("Rein Job".into()),
            testnet: Some(false),
            limit: 100,
            ..DocQuery::default()
        });
        assert_eq!(
            sql,
            "SELECT doc_seq, key, value, bucket_id FROM pairs WHERE doc_valid AND doc_title = $1 \
             AND testnet = $2 ORDER BY doc_seq LIMIT $3"
        );
        assert_eq!(params.len(), 3);
    }
}
