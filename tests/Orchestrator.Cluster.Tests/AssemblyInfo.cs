// Cluster tests start several ActorSystems each; on a 2-core CI machine running them side by side starves the
// failure detector and turns waits into timeouts. One test class at a time keeps them honest and still fast.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
