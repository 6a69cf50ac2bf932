using Microsoft.Extensions.FileProviders;

namespace Orchestrator.Node.Api;

/// <summary>
/// Serves the dashboard at <c>/</c>: the plain static files of <c>wwwroot/</c> (HTML, CSS, JS; no build step), embedded
/// in the node's assembly so the page is there whatever the working directory. The page reads the API and its event
/// stream like any other client and sends the bearer token the user gives it.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>The namespace the build gives the embedded <c>wwwroot/</c> files.</summary>
    public const string ResourceNamespace = "Orchestrator.Node.wwwroot";

    public static WebApplication MapDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var files = new EmbeddedFileProvider(typeof(DashboardEndpoints).Assembly, ResourceNamespace);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }
}
