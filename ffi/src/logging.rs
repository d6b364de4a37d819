//! Rust logs forwarded to the app's logger (Logcat, os_log, …).

use std::sync::{Arc, OnceLock};

use tracing_subscriber::layer::SubscriberExt;

/// A log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// Errors.
    Error,
    /// Warnings.
    Warn,
    /// Information.
    Info,
    /// Debugging.
    Debug,
    /// Tracing.
    Trace,
}

/// Implemented by the app: receives the core's log lines.
#[uniffi::export(foreign)]
pub trait Logger: Send + Sync {
    /// One log line.
    fn log(&self, level: LogLevel, target: String, message: String);
}

struct ForwardLayer(Arc<dyn Logger>);

struct MessageVisitor(String);

impl tracing::field::Visit for MessageVisitor {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        } else {
            self.0.push_str(&format!("{}={value:?}", field.name()));
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ForwardLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let meta = event.metadata();
        let level = match *meta.level() {
            tracing::Level::ERROR => LogLevel::Error,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::TRACE => LogLevel::Trace,
        };
        let mut visitor = MessageVisitor(String::new());
        event.record(&mut visitor);
        self.0.log(level, meta.target().to_owned(), visitor.0);
    }
}

static INSTALLED: OnceLock<()> = OnceLock::new();

/// Sends the core's logs (info and above from Gridwalk) to `logger`. The first call wins; later
/// calls return false.
#[uniffi::export]
pub fn set_logger(logger: Arc<dyn Logger>) -> bool {
    let mut installed = false;
    INSTALLED.get_or_init(|| {
        let filter = tracing_subscriber::filter::Targets::new()
            .with_target("gridwalk_core", tracing::Level::INFO);
        let subscriber =
            tracing_subscriber::registry().with(ForwardLayer(logger).with_filter(filter));
        installed = tracing::subscriber::set_global_default(subscriber).is_ok();
    });
    installed
}

use tracing_subscriber::Layer as _;
