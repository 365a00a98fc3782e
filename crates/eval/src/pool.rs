//! Worker thread pools, one per thread count, shared by every builder of the process. Reusing
//! the same threads keeps their allocator arenas (and the memory those hold) in use from one
//! field to the next instead of spreading later fields over fresh arenas, and saves spawning
//! threads for every field.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rayon::ThreadPool;

use crate::error::EvalError;

/// Pools by thread count.
type Pools = Mutex<Vec<(usize, Arc<ThreadPool>)>>;

static POOLS: OnceLock<Pools> = OnceLock::new();

/// The shared pool with `threads` workers, started on first use.
pub(crate) fn shared_pool(threads: usize) -> Result<Arc<ThreadPool>, EvalError> {
    let pools = POOLS.get_or_init(|| Mutex::new(Vec::new()));
    let mut pools = pools.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, pool)) = pools.iter().find(|(t, _)| *t == threads) {
        return Ok(Arc::clone(pool));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("pai-eval-{threads}-{i}"))
        .build()
        .map_err(|e| EvalError::ThreadPool {
            threads,
            reason: e.to_string(),
        })?;
    let pool = Arc::new(pool);
    pools.push((threads, Arc::clone(&pool)));
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_shared_per_thread_count() {
        let a = shared_pool(2).expect("pool");
        let b = shared_pool(2).expect("pool");
        let c = shared_pool(1).expect("pool");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(a.current_num_threads(), 2);
        assert_eq!(c.current_num_threads(), 1);
    }
}
