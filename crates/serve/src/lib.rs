//! pai-serve: `pai-engine serve`: online prediction services (EAS predict API, KServe V2, admin API, metrics).
