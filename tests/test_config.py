import pytest

from docsynth import config as C


def test_defaults_validate_and_hash_is_stable():
    a, b = C.PipelineConfig(), C.PipelineConfig()
    assert C.config_hash(a) == C.config_hash(b)
    assert C.config_hash(C.apply_overrides(a, ["seed=1"])) != C.config_hash(a)


def test_round_trip_through_dict():
    cfg = C.apply_overrides(C.PipelineConfig(), ["layout.columns=1,2", "render.mode=L", "tokens.formats=A"])
    again = C.from_dict(C.PipelineConfig, C.to_dict(cfg))
    assert again == cfg
    assert again.layout.columns == (1, 2) and again.tokens.formats == ("A",)


@pytest.mark.parametrize(
    "override, field",
    [
        ("layout.columns=0,4", "layout.columns"),
        ("render.dpi=5", "render.dpi"),
        ("render.mode=CMYK", "render.mode"),
        ("tokens.formats=C", "tokens.formats"),
        ("layout.page_sizes=tabloid", "layout.page_sizes"),
        ("source.kind=path", "source.path"),
        ("arxiv.ocr=pdf:x", "arxiv.ocr"),
        ("layout.figure_prob=2", "layout.figure_prob"),
    ],
)
def test_bad_values_name_the_field(override, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        C.apply_overrides(C.PipelineConfig(), [override])


@pytest.mark.parametrize("override", ["nosuch=1", "layout.nosuch=1", "layout=1", "seed"])
def test_unknown_or_malformed_overrides(override):
    with pytest.raises(ValueError):
        C.apply_overrides(C.PipelineConfig(), [override])


def test_bool_and_optional_coercion():
    cfg = C.apply_overrides(C.PipelineConfig(), ["render.verify=false", "fonts.user_dir=None", "fonts.user_dir=/x"])
    assert cfg.render.verify is False and cfg.fonts.user_dir == "/x"
    with pytest.raises(ValueError, match="render.verify"):
        C.apply_overrides(C.PipelineConfig(), ["render.verify=maybe"])
