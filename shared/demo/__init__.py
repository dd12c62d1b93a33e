"""Made-up data for `cme demo seed`, the tests and the benchmarks: the demo authority's people (`people`), its
casework and referrals (`cases`), its schools' notices (`notices`), realistic attendance files (`marks`), and
loading them all (`seeding`). Everything follows from fixed seeds."""
