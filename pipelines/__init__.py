"""Named pipelines: each module has `config(**overrides) -> PipelineConfig` and `build(cfg) -> Pipeline`."""
