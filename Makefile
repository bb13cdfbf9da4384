# docsynth: `make demo` installs everything and writes + validates a corpus;
#           `make test` installs everything and runs the test suite.
PY ?= python3
DEMO ?= demo_out
DEMO_DOCS ?= 160
WORKERS ?= 2

.PHONY: install demo test test-fast bench gpu-check gpu-wheels tokenizers tokenizers-wide tokenizers-codebook tokenizer-pages clean

install:
	bash scripts/bootstrap.sh

demo: install
	rm -rf $(DEMO)
	$(PY) -m docsynth generate --source faker --num-docs $(DEMO_DOCS) --out $(DEMO) --seed 0 --workers $(WORKERS)
	$(PY) -m docsynth validate $(DEMO)
	$(PY) -m docsynth stats $(DEMO) --html $(DEMO)/report.html
	$(PY) -m docsynth inspect $(DEMO) --key $$($(PY) -c "import json;print(json.load(open('$(DEMO)/.docsynth/done/00000.json'))['first_key'])") --out $(DEMO)/inspect.png

test: install
	$(PY) -m pytest -q -p no:cacheprovider --timeout=600

test-fast:
	$(PY) -m pytest -q -x -m "not slow"

bench: install
	$(PY) bench/render.py
	$(PY) bench/vision.py
	$(PY) bench/loss.py
	$(PY) bench/loader.py
	$(PY) bench/arxiv.py
	if [ -d ../shared/real_pdfs ]; then $(PY) bench/sweep.py ../shared/real_pdfs && $(PY) bench/arxiv_real.py ../shared/real_pdfs; fi
	$(PY) bench/scale.py

# On a machine with an NVIDIA GPU: CUDA tests, CUDA benchmarks, a gpu-small run (scripts/gpu_check.sh).
gpu-check:
	bash scripts/gpu_check.sh

# Wheels gpu-check needs beyond a CUDA PyTorch image, for a GPU machine without PyPI (carry .whl/).
gpu-wheels:
	$(PY) -m pip download -q --no-deps --only-binary=:all: --dest .whl webdataset braceexpand

# Retrain the shipped assets: the text BPE, the 8x vision autoencoder (vision_tokenizer.pt, the default
# before issue 13) and the default vision tokenizer (tokenizers-codebook); see docsynth/assets/*.md.
tokenizers: install
	$(PY) -m docsynth tokenizer train text --num-docs 3000 --vocab-size 16384 --seed 0 --out docsynth/assets/tokenizer.json
	mkdir -p build
	OMP_NUM_THREADS=1 $(PY) -m docsynth.model.vision.train --out build/vt_stage1.pt --channels 1 --quantizer fsq \
		--steps 900 --crop 64 --batch-size 16 --lr 1e-3 --pool-size 64 --seed 0 --eval-pages 20
	OMP_NUM_THREADS=1 $(PY) -m docsynth.model.vision.train --out build/vt_stage2.pt --init build/vt_stage1.pt \
		--data render --steps 3000 --crop 64 --batch-size 16 --lr 5e-4 --pool-size 64 --eval-pages 20 --seed 0
	OMP_NUM_THREADS=1 $(PY) -m docsynth.model.vision.train --out build/vt_stage3.pt --init build/vt_stage2.pt \
		--data render --steps 3000 --crop 64 --batch-size 16 --lr 3e-4 --pool-size 64 --eval-pages 20 --seed 1
	$(PY) -c "from docsynth.model.vision import VisionTokenizer as V; V.load('build/vt_stage3.pt').save('docsynth/assets/vision_tokenizer.pt', half=True)"
	$(MAKE) tokenizers-codebook

# the wide-patch conv autoencoder (issue 13; patch 16, G = 32; shipped, not the default): about 8 h on one CPU thread.
# Stages share P16 (one thread, 64 px crops, text-aware loss) and differ in steps, learning rate and seed;
# the later ones draw $(1) of their pages from ../shared/real_pdfs where it is there.
P16 = OMP_NUM_THREADS=1 $(PY) -m docsynth.model.vision.train --patch 16 --heads 32 --latent 256 --data render --crop 64 \
	--batch-size 16 --pool-size 64 --eval-pages 20 --text-weight 4 --threads 1
papers = $(if $(wildcard ../shared/real_pdfs),--papers ../shared/real_pdfs --paper-share $(1),)
tokenizers-wide: install
	mkdir -p build
	$(P16) --out build/p16_15k.pt --steps 15000 --lr 1e-3 --seed 0
	$(P16) --out build/p16_45k.pt --init build/p16_15k.pt --steps 30000 --lr 6e-4 --seed 1
	$(P16) --out build/p16_65k.pt --init build/p16_45k.pt --steps 20000 --lr 4e-4 --seed 3 $(call papers,0.25)
	$(P16) --out build/p16_80k.pt --init build/p16_65k.pt --steps 15000 --lr 3e-4 --seed 4 $(call papers,0.35)
	$(P16) --out build/p16_100k.pt --init build/p16_80k.pt --steps 20000 --lr 3e-4 --seed 5 $(call papers,0.35)
	$(P16) --out build/p16_120k.pt --init build/p16_100k.pt --steps 20000 --lr 2e-4 --seed 6 $(call papers,0.35)
	$(PY) -c "from docsynth.model.vision import VisionTokenizer as V; V.load('build/p16_120k.pt').save('docsynth/assets/vision_tokenizer_p16.pt', half=True)"

# the default vision tokenizer (issue 13; patch 16, 32 blocks of 4 x 2 pixels and a colour head, K = 1024):
# k-means over the blocks of 150 pages (a third from ../shared/real_pdfs where it is there), then 3,000 steps
# of the post filter; about 10 min on two CPU threads.
tokenizers-codebook: install
	OMP_NUM_THREADS=2 $(PY) -m docsynth.model.vision.codebook --out docsynth/assets/vision_tokenizer_pq16.pt --channels 3 --threads 2 --seed 0 \
		$(if $(wildcard ../shared/real_pdfs),--papers ../shared/real_pdfs,)

# Training pages for a tokenizer run on a machine that cannot make them (a GPU machine without PyMuPDF):
# the first 400 pages of the training stream with their word masks, ~40 MB of PNG, into build/tok_pages/
# (carry it; see docsynth/assets/vision_tokenizer.md, "Training on a GPU").
tokenizer-pages: install
	$(PY) -m docsynth.model.vision.train --out build/tok_pages --data render --text-weight 4 --seed 7 --eval-pages 0 \
		--export-pages 400 $(if $(wildcard ../shared/real_pdfs),--papers ../shared/real_pdfs --paper-share 0.35,)

clean:
	rm -rf $(DEMO) build dist *.egg-info .pytest_cache
