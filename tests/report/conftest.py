import pytest

from docsynth.cli import main


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> str:
    """A real corpus: `docsynth generate --source faker --num-docs 4 --seed 0` (shipped tokenizers)."""
    out = tmp_path_factory.mktemp("report") / "corpus"
    rc = main(["generate", "--source", "faker", "--num-docs", "4", "--out", str(out), "--seed", "0"])
    assert rc == 0, "docsynth generate failed"
    return str(out)


@pytest.fixture
def cli(capsys):
    """Runs `docsynth ARGV…` in-process; returns (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        rc = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return rc, out, err

    return run
