//! Cursor pagination: `limit` ≤ 100 and an opaque cursor (the last row's time-ordered id).
use crate::error::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Largest page size.
pub const MAX_LIMIT: u64 = 100;
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u64 = 50;

/// Query parameters common to list endpoints.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–100 (default 50).
    pub limit: Option<u64>,
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: u64,
    pub after: Option<Uuid>,
}

impl PageQuery {
    /// Validates the query.
    ///
    /// # Errors
    /// 422 naming `limit` or `cursor`.
    pub fn page(&self) -> Result<Page, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::field("limit", "must be between 1 and 100"));
        }
        let after = match &self.cursor {
            None => None,
            Some(c) => Some(
                decode_cursor(c)
                    .ok_or_else(|| ApiError::field("cursor", "is not a valid cursor"))?,
            ),
        };
        Ok(Page { limit, after })
    }
}

/// Encodes a cursor after `id`.
pub fn encode_cursor(id: Uuid) -> String {
    hex::encode(id.as_bytes())
}

fn decode_cursor(c: &str) -> Option<Uuid> {
    let bytes = hex::decode(c).ok()?;
    Uuid::from_slice(&bytes).ok()
}

/// The next cursor when a page came back full.
pub fn next_cursor(page: &Page, ids: &[Uuid]) -> Option<String> {
    if ids.len() as u64 == page.limit {
        ids.last().copied().map(encode_cursor)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_bounds_are_enforced() {
        let q = PageQuery {
            limit: Some(0),
            cursor: None,
        };
        assert!(q.page().is_err());
        let q = PageQuery {
            limit: Some(101),
            cursor: None,
        };
        assert!(q.page().is_err());
        let q = PageQuery {
            limit: Some(100),
            cursor: None,
        };
        assert_eq!(q.page().map(|p| p.limit).ok(), Some(100));
    }

    #[test]
    fn cursor_round_trips_and_garbage_is_refused() {
        let id = Uuid::now_v7();
        let q = PageQuery {
            limit: None,
            cursor: Some(encode_cursor(id)),
        };
        assert_eq!(q.page().ok().and_then(|p| p.after), Some(id));
        let q = PageQuery {
            limit: None,
            cursor: Some("zz".into()),
        };
        assert!(q.page().is_err());
    }
}
