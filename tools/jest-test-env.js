// Settings every test's hub gets unless the test says otherwise (a spawned hub inherits them).
// Test repositories are local: the hub refuses file:// sources unless started allowing them.
process.env.FLOTILLA_HUB_GIT_ALLOW_LOCAL_SOURCES ??= 'true';
