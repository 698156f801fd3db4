"""The demo: a deterministic street office of communities written as files in the formats of SPEC §3,
imported and built like real data, with the governance group's stories recorded."""
