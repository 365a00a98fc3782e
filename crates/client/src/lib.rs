//! pai-client: the admin API wire types of `pai-engine serve` and a blocking HTTP client for them.
