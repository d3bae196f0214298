// Native object counts and working-set figures are process-wide, and the speed figures assume an
// otherwise idle core: classes running side by side would disturb both.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
