//! A real headless browser (Debian's `chromium`) driven over the DevTools
//! protocol, for the admin page's tests. Its profile lives in a temp folder
//! and the browser stops on drop. Every page it opens records its script
//! errors and Content-Security-Policy violations in `window.__problems`, so
//! a test can say the page ran clean.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use headless_chrome::protocol::cdp::{Emulation, Page};
use headless_chrome::{LaunchOptions, Tab};
use serde_json::Value;

/// Collects what went wrong in the page, from before its first script.
const WATCH_PROBLEMS: &str = r#"
window.__problems = [];
window.addEventListener('error', (e) => window.__problems.push('error: ' + e.message));
window.addEventListener('unhandledrejection', (e) => window.__problems.push('rejection: ' + e.reason));
document.addEventListener('securitypolicyviolation',
  (e) => window.__problems.push('CSP: ' + e.violatedDirective + ' ' + e.blockedURI));
"#;

pub struct Browser {
    // Dropping it stops chromium and removes its profile.
    _browser: headless_chrome::Browser,
    pub tab: Arc<Tab>,
}

impl Browser {
    /// Chromium with one tab, `width`×`height` CSS pixels.
    pub fn start(width: u32, height: u32) -> Browser {
        let path = chromium();
        let options = LaunchOptions::default_builder()
            .path(Some(path))
            // Root in CI: chromium's sandbox refuses to run as root.
            .sandbox(false)
            .window_size(Some((width, height)))
            .idle_browser_timeout(Duration::from_secs(300))
            .build()
            .expect("chromium launch options");
        let browser = headless_chrome::Browser::new(options)
            .unwrap_or_else(|e| panic!("cannot start chromium: {e:#}"));
        let tab = browser.new_tab().expect("a chromium tab");
        tab.call_method(Page::AddScriptToEvaluateOnNewDocument {
            source: WATCH_PROBLEMS.to_string(),
            world_name: None,
            include_command_line_api: None,
            run_immediately: None,
        })
        .expect("install the problem watcher");
        let b = Browser {
            _browser: browser,
            tab,
        };
        b.viewport(width, height);
        b
    }

    pub fn open(&self, url: &str) {
        self.tab
            .navigate_to(url)
            .and_then(|t| t.wait_until_navigated())
            .unwrap_or_else(|e| panic!("chromium cannot open {url}: {e:#}"));
    }

    /// The page as a `width`-pixel-wide screen shows it.
    pub fn viewport(&self, width: u32, height: u32) {
        self.tab
            .call_method(Emulation::SetDeviceMetricsOverride {
                width,
                height,
                device_scale_factor: 1.0,
                mobile: width < 500,
                scale: None,
                screen_width: None,
                screen_height: None,
                position_x: None,
                position_y: None,
                dont_set_visible_size: None,
                screen_orientation: None,
                viewport: None,
                display_feature: None,
                device_posture: None,
            })
            .expect("set the viewport");
    }

    /// The JSON value of `expression` in the page.
    pub fn eval(&self, expression: &str) -> Value {
        let wrapped = format!("JSON.stringify((() => {{ return {expression}; }})() ?? null)");
        let result = self
            .tab
            .evaluate(&wrapped, false)
            .unwrap_or_else(|e| panic!("evaluate {expression}: {e:#}"));
        match result.value {
            Some(Value::String(json)) => serde_json::from_str(&json).expect("JSON from the page"),
            other => panic!("{expression} gave {other:?}"),
        }
    }

    /// Waits until `expression` is true in the page; fails saying `what`
    /// never happened, with the page's text.
    pub fn until(&self, what: &str, within: Duration, expression: &str) -> Duration {
        let started = Instant::now();
        loop {
            if self.eval(expression) == Value::Bool(true) {
                return started.elapsed();
            }
            if started.elapsed() > within {
                panic!(
                    "{what}: not within {within:?}; the page reads:\n{}",
                    self.eval("document.body.innerText")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Script errors and CSP violations since the page loaded.
    pub fn problems(&self) -> Value {
        self.eval("window.__problems")
    }

    pub fn screenshot(&self) -> Vec<u8> {
        self.tab
            .capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)
            .expect("a screenshot")
    }
}

fn chromium() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("chromium"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "`chromium` is not on PATH. The admin page is tested in a real browser: install \
                 Debian's chromium package (scripts/install-deps --test, or apt-get install chromium)"
            )
        })
}
