"""Re-make the pictures of tutorials/README.md: run the whole course, keep one figure per lesson.

    python tutorials/images/refresh.py

Runs `minigrad tutorials run all` into a temporary folder, then copies the figure named
below for each lesson into this folder as NN_name.svg / NN_name.png (PNGs shrunk to at most
800 pixels wide, 256 colours, so the repository stays small). Needs matplotlib (Pillow).
"""
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
PICTURES = {                       # lesson -> the figure the README shows
    "01_chain_rule": "graph_gradients.svg",
    "02_broadcasting": "broadcast_gradient.png",
    "03_first_network": "loss_curve.png",
    "04_batchnorm_forward": "running_statistics.png",
    "05_batchnorm_backward": "bn_graphs_side_by_side.svg",
    "06_layernorm": "seed_backward_steps.png",
    "07_groupnorm_instancenorm": "reduction_sets.png",
    "08_weight_norm_standardization": "ws_gradient_vs_spread.png",
    "09_rmsnorm_bcn": "bcn_microbatch.png",
    "10_training_experiment": "experiment.png",
    "11_seed_misconceptions": "mistakes_by_lesson.png",
    "12_higher_order": "derivatives.png",
    "13_build_your_own_engine": "scalar_vs_array.png",
    "14_why_normalize": "activations.png",
    "15_backprop_by_hand": "comparison.png",
    "16_normalization_in_practice": "residual_gradients.png",
    "17_internal_covariate_shift": "loss_curves.png",
}


def main():
    with tempfile.TemporaryDirectory() as tmp:
        code = subprocess.call([sys.executable, "-m", "minigrad", "tutorials", "run", "all",
                                "--out", tmp])
        if code != 0:
            raise SystemExit("a lesson failed; the pictures were not updated")
        for lesson, figure in PICTURES.items():
            source = Path(tmp) / lesson / figure
            target = HERE / f"{lesson}{source.suffix}"
            if source.suffix == ".svg":
                target.write_bytes(source.read_bytes())
            else:
                image = Image.open(source).convert("RGB")
                if image.width > 800:
                    image = image.resize((800, round(image.height * 800 / image.width)),
                                         Image.LANCZOS)
                image.quantize(colors=256).save(target, optimize=True)
            print(f"{target.relative_to(HERE.parents[1])}: {target.stat().st_size // 1024} kB")


if __name__ == "__main__":
    main()
