package dev.forkline.supervisor;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/** Debian's headless Chromium through Debian's chromedriver, with a fresh profile. */
final class ChromiumBrowser implements Browser {
    private final ChromeDriver driver;
    private final Path profile;
    private final String screenshotSuffix;

    /** {@code phone}: a 390 x 844 touch screen. */
    ChromiumBrowser(boolean phone) throws Exception {
        profile = Files.createTempDirectory("forkline-chromium");
        screenshotSuffix = "";
        ChromeOptions options = new ChromeOptions();
        options.setBinary(NeedsPrograms.Condition.find("chromium"));
        options.addArguments(Screenshots.CHROMIUM_FLAGS);
        options.addArguments("--user-data-dir=" + profile, "--window-size=1280,1000");
        if (phone) {
            options.setExperimentalOption("mobileEmulation", Map.of(
                    "deviceMetrics", Map.of("width", PHONE_WIDTH, "height", PHONE_HEIGHT, "pixelRatio", 2.0, "touch", true)));
        }
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(NeedsPrograms.Condition.find("chromedriver")))
                .usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
    }

    @Override
    public void get(String url) {
        driver.get(url);
    }

    @Override
    public String currentUrl() {
        return driver.getCurrentUrl();
    }

    @Override
    public Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    @Override
    public void type(String id, String text) {
        driver.findElement(By.id(id)).sendKeys(text);
    }

    @Override
    public Path screenshot(String name) throws Exception {
        Path png = Screenshots.dir().resolve(name + screenshotSuffix + ".png");
        Files.write(png, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        return png;
    }

    @Override
    public List<String> consoleErrors() {
        List<String> errors = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()
                    && !e.getMessage().contains("401 (Unauthorized)")) { // the refused token, on purpose
                errors.add(e.getMessage());
            }
        }
        return errors;
    }

    @Override
    public void close() throws Exception {
        driver.quit();
        try (var files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
