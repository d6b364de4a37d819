//! Named kill points for the crash tests of sync (`tests/tests/sync_killed.rs`): a point the
//! process passes on its way through a sync, where a phone's battery could die.
//!
//! Compiled in only with the feature `failpoints`, which only the end-to-end tests turn on;
//! in every other build [`reached`] is an empty function. With the feature, a process started
//! with `GRIDWALK_KILL_AT=<point>[:<n>]` kills itself with SIGKILL the `n`-th time (the first
//! by default) it reaches the point, after writing `gridwalk kill point <point>` to stderr, so
//! the test can tell this death from a panic or a crash elsewhere. Nothing is flushed or
//! closed: the store is left as a power cut leaves it, apart from the page cache.

/// The environment variable that arms a kill point.
pub const ENV: &str = "GRIDWALK_KILL_AT";

/// Dies here if the armed point is `name` and this is the armed pass.
#[cfg(feature = "failpoints")]
pub fn reached(name: &str) {
    use std::sync::atomic::{AtomicU64, Ordering};

    static PASSES: AtomicU64 = AtomicU64::new(0);
    let Some((point, pass)) = armed() else {
        return;
    };
    if point != name {
        return;
    }
    if PASSES.fetch_add(1, Ordering::SeqCst) + 1 == *pass {
        eprintln!("gridwalk kill point {name}");
        // SAFETY: kill(2) of this very process; SIGKILL cannot be caught, so nothing runs after.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        loop {
            std::thread::park();
        }
    }
}

/// Does nothing: kill points are compiled in only for the tests (feature `failpoints`).
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn reached(_name: &str) {}

/// Whether the kill point `name` is armed in this process (at any pass).
pub fn is_armed(name: &str) -> bool {
    #[cfg(feature = "failpoints")]
    {
        armed().is_some_and(|(point, _)| point == name)
    }
    #[cfg(not(feature = "failpoints"))]
    {
        let _ = name;
        false
    }
}

/// The armed point and pass, read once from [`ENV`].
#[cfg(feature = "failpoints")]
fn armed() -> Option<&'static (String, u64)> {
    static ARMED: std::sync::OnceLock<Option<(String, u64)>> = std::sync::OnceLock::new();
    ARMED
        .get_or_init(|| {
            let value = std::env::var(ENV).ok()?;
            Some(match value.rsplit_once(':') {
                Some((point, pass)) => (
                    point.to_owned(),
                    pass.parse().expect("GRIDWALK_KILL_AT=<point>:<pass>"),
                ),
                None => (value, 1),
            })
        })
        .as_ref()
}

/// A request body that sends the first half of `bytes`, lets the connection flush it, and
/// then passes the kill point `name` before the rest: a photo upload cut by a dying phone with
/// part of the photo on the wire.
#[cfg(feature = "failpoints")]
pub(crate) fn body_dying_half_way(bytes: Vec<u8>, name: &'static str) -> reqwest::Body {
    reqwest::Body::wrap(HalfWay {
        data: bytes::Bytes::from(bytes),
        step: 0,
        name,
    })
}

#[cfg(feature = "failpoints")]
struct HalfWay {
    data: bytes::Bytes,
    step: u8,
    name: &'static str,
}

#[cfg(feature = "failpoints")]
impl http_body::Body for HalfWay {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<std::result::Result<http_body::Frame<Self::Data>, Self::Error>>>
    {
        use std::task::Poll;
        let this = self.get_mut();
        let half = this.data.len() / 2;
        this.step += 1;
        match this.step {
            1 => Poll::Ready(Some(Ok(http_body::Frame::data(this.data.slice(..half))))),
            // Not ready yet: the connection writes out and flushes what it has, then asks again.
            2 => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            3 => {
                reached(this.name);
                Poll::Ready(Some(Ok(http_body::Frame::data(this.data.slice(half..)))))
            }
            _ => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.step >= 3
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.data.len() as u64)
    }
}
