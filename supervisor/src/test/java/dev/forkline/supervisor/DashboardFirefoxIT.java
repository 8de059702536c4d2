package dev.forkline.supervisor;

/**
 * Every dashboard test of {@link DashboardIT}, in Debian's Firefox ESR (headless, over WebDriver
 * BiDi: {@link FirefoxBrowser}): the page must work in current Chromium and Firefox.
 */
@NeedsPrograms(value = {"firefox-esr", "node", "npm"}, packages = "firefox-esr nodejs npm")
class DashboardFirefoxIT extends DashboardIT {
    @Override
    Browser open(boolean phone) throws Exception {
        return new FirefoxBrowser(phone);
    }
}
