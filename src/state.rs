//! The state every handler and job receives: the database, the settings, the mailer, the blob
//! store, and the runtime parts the areas own (their caches, the order writer, the job
//! registry, the authenticator), each stored under its own type.
//!
//! This module sits below every area and imports none of them: an area puts its own runtime
//! type into [`Parts`] when the root builds the state and reads it back with
//! [`AppState::part`]. No area reaches into another's part; it calls that area's functions.
use crate::{config::Settings, error::ApiError, mail::Mailer, storage::BlobStore};
use sea_orm::DatabaseConnection;
use std::{
    any::{Any, TypeId, type_name},
    collections::HashMap,
    sync::Arc,
};

/// Shared state given to every handler and job (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub mailer: Mailer,
    pub storage: Arc<dyn BlobStore>,
    parts: Arc<Parts>,
}

impl AppState {
    /// State with the given parts (built by the composition root).
    pub fn new(
        db: DatabaseConnection,
        settings: Arc<Settings>,
        mailer: Mailer,
        storage: Arc<dyn BlobStore>,
        parts: Parts,
    ) -> Self {
        Self {
            db,
            settings,
            mailer,
            storage,
            parts: Arc::new(parts),
        }
    }

    /// The runtime part of type `T` an area registered.
    ///
    /// # Errors
    /// 500 when the root did not register it (a wiring mistake, caught by the tests).
    pub fn part<T: Any + Send + Sync>(&self) -> Result<&T, ApiError> {
        self.parts.get::<T>().ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "part {} is not registered",
                type_name::<T>()
            ))
        })
    }
}

/// Runtime values by type, filled once by the composition root before the state is shared.
#[derive(Default)]
pub struct Parts {
    map: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl Parts {
    /// Stores `value` (replacing an earlier value of the same type).
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) {
        self.map.insert(TypeId::of::<T>(), Box::new(value));
    }

    /// The value of type `T`, if stored.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.map
            .get(&TypeId::of::<T>())
            .and_then(|b| b.downcast_ref::<T>())
    }

    /// The value of type `T`, inserting `make()` first when missing.
    pub fn get_or_insert_with<T: Any + Send + Sync>(&mut self, make: impl FnOnce() -> T) -> &mut T {
        let entry = self
            .map
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(make()));
        match entry.downcast_mut::<T>() {
            Some(v) => v,
            // The entry is keyed by T's TypeId, so it always holds a T.
            None => unreachable!("part keyed by its own type"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Parts;

    #[test]
    fn parts_are_found_by_their_type() {
        struct A(u8);
        struct B(&'static str);
        let mut p = Parts::default();
        p.insert(A(7));
        assert!(p.get::<B>().is_none());
        p.get_or_insert_with(|| B("x"));
        assert_eq!(p.get::<A>().map(|a| a.0), Some(7));
        assert_eq!(p.get::<B>().map(|b| b.0), Some("x"));
    }
}
