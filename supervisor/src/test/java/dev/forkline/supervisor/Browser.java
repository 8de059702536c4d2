package dev.forkline.supervisor;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the dashboard tests need of a browser, so that the same tests run in Chromium (through
 * chromedriver, {@link ChromiumBrowser}) and in Firefox (over WebDriver BiDi, {@link FirefoxBrowser}).
 * Everything but navigation, typing, pictures and the console goes through {@link #js}: the page
 * redraws its table every second, so what is read is read in one script.
 */
interface Browser extends AutoCloseable {
    /** The viewport of a phone, in CSS pixels. */
    int PHONE_WIDTH = 390;
    int PHONE_HEIGHT = 844;

    void get(String url);

    String currentUrl();

    /** Runs a function body in the page, as WebDriver's executeScript does; numbers come back as Long or Double. */
    Object js(String script, Object... args);

    /** Types into the element with this id, as a user does; {@code \n} is the Enter key. */
    void type(String id, String text);

    Path screenshot(String name) throws Exception;

    /** Console errors: a script error, a refused resource, a Content-Security-Policy violation. */
    List<String> consoleErrors();

    @Override
    void close() throws Exception;

    /** The element's text as rendered ({@code innerText}); "" for a hidden or missing element. */
    default String text(String id) {
        Object t = js("const e = document.getElementById(arguments[0]);"
                + " return e && e.getClientRects().length ? e.innerText : ''", id);
        return t == null ? "" : t.toString();
    }

    default boolean displayed(String id) {
        return Boolean.TRUE.equals(js("const e = document.getElementById(arguments[0]);"
                + " return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'", id));
    }

    default long count(String css) {
        return ((Number) js("return document.querySelectorAll(arguments[0]).length", css)).longValue();
    }

    /** PIDs in the worker table as the page shows them now. */
    default Set<Long> tablePids() {
        return rows().keySet();
    }

    /** The cells of the row that shows this PID; empty when there is none. */
    default List<String> row(long pid) {
        return rows().getOrDefault(pid, List.of());
    }

    /** The worker table, read in one script (elements found one call earlier may be redrawn by the next). */
    @SuppressWarnings("unchecked")
    default Map<Long, List<String>> rows() {
        List<List<String>> rows = (List<List<String>>) js("return [...document.querySelectorAll('#workers tbody tr')]"
                + ".map(tr => [tr.dataset.pid, ...[...tr.cells].map(td => td.textContent)])");
        Map<Long, List<String>> byPid = new HashMap<>();
        for (List<String> r : rows) {
            if (r.get(0) != null && r.get(0).matches("\\d+")) {
                byPid.put(Long.parseLong(r.get(0)), r.subList(1, r.size()));
            }
        }
        return byPid;
    }
}
