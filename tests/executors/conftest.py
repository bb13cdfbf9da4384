"""A local Ray cluster (2 CPUs, loopback), a local S3 server and a small synth config for the executor tests."""

import logging

import pytest

SMALL = ["layout.page_sizes=a5", "render.dpi=48", "layout.max_pages=3", "source.paragraphs=2,6"]


@pytest.fixture(scope="module")
def ray_cluster():
    """One 2-CPU Ray cluster for a module's tests (ray.init costs seconds); yields its address for CLI
    drivers. Shut down when the module ends: Ray's threads must not be alive when later tests fork
    (tests/model forks DDP ranks; a fork beside gRPC threads can deadlock)."""
    ray = pytest.importorskip("ray")
    ctx = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    yield ctx.address_info["gcs_address"]
    ray.shutdown()


@pytest.fixture(scope="session")
def tiny_assets(tmp_path_factory):
    """`--set` overrides for a small synth run: a tiny vision tokenizer and BPE made here (nothing shipped needed)."""
    import torch

    from docsynth import text_tokenizer as tt
    from docsynth.model.vision import MultiHeadAutoencoder, VisionTokenizer, VisionTokenizerConfig

    root = tmp_path_factory.mktemp("assets")
    torch.manual_seed(0)
    VisionTokenizer(MultiHeadAutoencoder(VisionTokenizerConfig(channels=3, widths=(8, 16, 32), latent=32))).save(root / "vt.pt")
    texts = ["The quick brown fox jumps over the lazy dog. Съешь же ещё этих мягких булок. Γειά σου κόσμε. 你好世界"] * 50
    tt.train_bpe(texts, 400, root / "tok.json")
    return SMALL + [f"vision.checkpoint={root / 'vt.pt'}", f"tokens.tokenizer={root / 'tok.json'}"]


@pytest.fixture(scope="module")
def s3_server():
    """A moto S3 server on loopback with bucket `corpora`; yields the storage options that reach it.
    Its thread stops with the module: no server thread may be alive when later tests fork."""
    s3fs = pytest.importorskip("s3fs")
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = {"endpoint_url": f"http://{host}:{port}", "region_name": "us-east-1"}
    options = {"key": "testing", "secret": "testing", "client_kwargs": client}
    s3fs.S3FileSystem(skip_instance_cache=True, **options).call_s3("create_bucket", Bucket="corpora")
    yield options
    server.stop()
