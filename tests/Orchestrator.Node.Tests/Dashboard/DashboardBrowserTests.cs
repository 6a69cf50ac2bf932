using System.Diagnostics;
using Microsoft.Playwright;
using Orchestrator.Node.Tests.Api;
using Xunit.Abstractions;

namespace Orchestrator.Node.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser: Debian's Chromium driven by Playwright against a real node on 127.0.0.1. The page
/// refuses a wrong token with the API's detail, cordons and uncordons a host, starts a migration, and shows the VF on
/// the target host once the migration Completed. Screenshots go to <c>dashboard/</c> in the test output directory.
/// </summary>
public sealed class DashboardBrowserTests(DashboardNode node, ITestOutputHelper output) : IClassFixture<DashboardNode>
{
    private const float Timeout = 60_000;

    /// <summary>Flags that keep Chromium off the (closed) network: no background requests, updates or sync.</summary>
    private static readonly string[] QuietChromium =
    [
        "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
    ];

    [ChromiumFact]
    public async Task The_page_starts_a_migration_and_shows_the_vf_on_the_target_host()
    {
        var clock = Stopwatch.StartNew();
        var shots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "dashboard")).FullName;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumFactAttribute.ExecutablePath,
            Headless = true,
            Args = QuietChromium,
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var pageErrors = new List<string>();
        page.PageError += (_, e) => pageErrors.Add(e);

        await page.GotoAsync(node.BaseAddress.ToString());
        var expect = Assertions.Expect(page.Locator("#connection"));
        await expect.ToHaveAttributeAsync("data-mode", "live", new() { Timeout = Timeout });
        var vm1OnA = page.Locator("[data-host='host-a'] li[data-workload='vm-1']");
        await Assertions.Expect(vm1OnA).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Assertions.Expect(vm1OnA.Locator(".vfio")).ToHaveTextAsync("RUNNING");

        // A wrong token: the API's problem detail is shown, nothing changes.
        await SaveTokenAsync(page, "not-the-token-0123456789");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cordon host-c", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#message")).ToContainTextAsync("401: the bearer token is not this cluster's token");

        // The right token: cordon and uncordon host-c from the keyboard.
        await SaveTokenAsync(page, ApiNode.Token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Cordon host-c", Exact = true }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("[data-host='host-c']")).ToHaveAttributeAsync("data-cordoned", "true", new() { Timeout = Timeout });
        await page.GetByRole(AriaRole.Button, new() { Name = "Uncordon host-c", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-host='host-c']")).ToHaveAttributeAsync("data-cordoned", "false", new() { Timeout = Timeout });

        // Start vm-1 -> host-b from the page; the VF shows up on host-b and the history says Completed.
        await StartAsync(page, "vm-1", "host-b");
        var done = page.Locator("#history tr[data-workload='vm-1'][data-state='Completed']");
        await Assertions.Expect(done).ToBeVisibleAsync(new() { Timeout = Timeout });
        var vm1OnB = page.Locator("[data-host='host-b'] li[data-workload='vm-1']");
        await Assertions.Expect(vm1OnB).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Assertions.Expect(vm1OnB.Locator(".vfio")).ToHaveTextAsync("RUNNING", new() { Timeout = Timeout });
        await Assertions.Expect(vm1OnA).ToHaveCountAsync(0, new() { Timeout = Timeout });
        output.WriteLine("vm-1 on host-b, Completed, after {0:F1} s", clock.Elapsed.TotalSeconds);

        // Two more at once (vm-2 with target "auto", vm-3 to host-b), caught in flight for the picture, then to their end.
        await StartAsync(page, "vm-2", "");
        await StartAsync(page, "vm-3", "host-b");
        await Assertions.Expect(page.Locator("#inflight tr[data-workload='vm-3'], #history tr[data-workload='vm-3']")).ToBeVisibleAsync(new() { Timeout = Timeout });
        var inFlightShot = Path.Combine(shots, "dashboard-in-flight.png");
        await page.ScreenshotAsync(new() { Path = inFlightShot });
        foreach (var workload in new[] { "vm-2", "vm-3" })
        {
            await Assertions.Expect(page.Locator($"#history tr[data-workload='{workload}'][data-state='Completed']")).ToBeVisibleAsync(new() { Timeout = Timeout });
            await Assertions.Expect(page.Locator($"[data-host='host-b'] li[data-workload='{workload}']")).ToBeVisibleAsync(new() { Timeout = Timeout });
        }

        await Assertions.Expect(page.Locator("#inflight tr.none")).ToBeVisibleAsync(new() { Timeout = Timeout });
        var shot = Path.Combine(shots, "dashboard.png");
        await page.ScreenshotAsync(new() { Path = shot });
        Assert.True(new FileInfo(shot).Length > 10_000, "the screenshot is suspiciously small");

        // Evacuate host-a from the page: the dry-run plan first, then the job cordons it and moves what is left.
        await page.GetByRole(AriaRole.Button, new() { Name = "Evacuate host-a" }).ClickAsync();
        await Assertions.Expect(page.Locator("#evac-plan li[data-workload='vm-4']")).ToContainTextAsync("host-b", new() { Timeout = Timeout });
        await page.Locator("#evac-confirm").ClickAsync();
        foreach (var workload in new[] { "vm-4", "vm-5", "vm-6" })
        {
            await Assertions.Expect(page.Locator($"[data-host='host-b'] li[data-workload='{workload}']")).ToBeVisibleAsync(new() { Timeout = Timeout });
        }

        await Assertions.Expect(page.Locator("[data-host='host-a']")).ToHaveAttributeAsync("data-cordoned", "true", new() { Timeout = Timeout });
        Assert.Empty(pageErrors);
        output.WriteLine("screenshots: {0}, {1}; {2:F1} s", inFlightShot, shot, clock.Elapsed.TotalSeconds);
    }

    [ChromiumFact]
    public async Task Without_the_event_stream_the_page_polls()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumFactAttribute.ExecutablePath,
            Headless = true,
            Args = QuietChromium,
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        await page.RouteAsync("**/api/v1/events", route => route.AbortAsync());
        await page.GotoAsync(node.BaseAddress.ToString());
        await Assertions.Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-mode", "polling", new() { Timeout = Timeout });
        await Assertions.Expect(page.Locator("[data-host='host-c']")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Assertions.Expect(page.Locator("[data-host]")).ToHaveCountAsync(3);
    }

    private static async Task StartAsync(IPage page, string workload, string target)
    {
        await page.GetByLabel("Workload", new() { Exact = true }).SelectOptionAsync(workload);
        await page.GetByLabel("Target host", new() { Exact = true }).SelectOptionAsync(target);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start migration" }).ClickAsync();
        await Assertions.Expect(page.Locator("#message")).ToContainTextAsync($"of {workload} accepted");
    }

    private static async Task SaveTokenAsync(IPage page, string token)
    {
        await page.GetByLabel("Bearer token", new() { Exact = true }).FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save token" }).ClickAsync();
        await Assertions.Expect(page.Locator("#token-state")).ToHaveTextAsync("token saved");
    }
}
