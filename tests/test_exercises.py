"""The course's graded exercises (tutorials/exercises/, issue 15): every template as shipped
fails gracefully (exit 1, says what to do, no traceback), every worked solution in
tutorials/solutions/ passes (exit 0), each through its one grading command; and the task
grader names the classic mistakes."""
import pathlib
import re
import shlex

import numpy as np
import pytest

from minigrad import cli
from minigrad.cli.exercises import EXERCISES, LISTING
from minigrad.coursework.task import check_task

ROOT = pathlib.Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"


def command(name, folder="exercises"):
    return f"minigrad check tutorials/{folder}/{LISTING[name].file} --exercise {name}"


def grade(capsys, monkeypatch, line):
    monkeypatch.chdir(ROOT)
    code = cli.main(shlex.split(line)[1:])
    out, err = capsys.readouterr()
    return code, out + err


def test_every_exercise_is_listed_with_its_template_and_solution():
    assert set(LISTING) == set(EXERCISES)
    assert len(LISTING) >= 15
    lessons = {int(p.name[:2]) for p in TUTORIALS.glob("[0-9][0-9]_*.py")}
    assert {entry.lesson for entry in LISTING.values()} == lessons >= set(range(1, 13))
    for name, entry in LISTING.items():
        assert (TUTORIALS / "exercises" / entry.file).is_file(), name
        assert (TUTORIALS / "solutions" / entry.file).is_file(), name
        assert 10 <= entry.minutes <= 30


@pytest.mark.parametrize("name", sorted(LISTING))
def test_template_as_shipped_fails_and_says_what_to_do(name, capsys, monkeypatch):
    line = command(name)
    template = (TUTORIALS / "exercises" / LISTING[name].file).read_text()
    assert line in template                    # the file tells the student how to grade it
    assert f"tutorials/solutions/{LISTING[name].file}" in template
    code, out = grade(capsys, monkeypatch, line)
    assert code == 1, out
    assert "not done yet" in out
    assert "Traceback" not in out
    # the message of the template's NotImplementedError, i.e. what to do, is in the report
    todo = re.search(r'raise NotImplementedError\(\s*"([^"]{20})', template).group(1)
    assert " ".join(todo.split()) in " ".join(out.split()), out


@pytest.mark.parametrize("name", sorted(LISTING))
def test_worked_solution_passes(name, capsys, monkeypatch):
    code, out = grade(capsys, monkeypatch, command(name, "solutions"))
    assert code == 0, out
    assert "PASSED" in out


def _solution(name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"solution_{name}",
                                                  TUTORIALS / "solutions" / LISTING[name].file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {k: v for k, v in vars(module).items() if callable(v)}


def test_a_one_sided_difference_is_named():
    functions = _solution("local_derivative")
    functions["central_difference"] = lambda f, x, h=1e-5: (f(x + h) - f(x)) / h
    report = check_task(functions, EXERCISES["local_derivative"])
    assert not report.passed and report.wrong == ["central_difference"]
    assert "one-sided difference" in str(report)


def test_a_forgotten_mean_over_the_batch_is_named():
    functions = _solution("softmax_cross_entropy")
    right = functions["softmax_cross_entropy"]

    def no_mean(logits, labels):
        loss, dlogits = right(logits, labels)
        return loss, dlogits * logits.shape[0]
    functions["softmax_cross_entropy"] = no_mean
    report = check_task(functions, EXERCISES["softmax_cross_entropy"])
    assert report.wrong == ["dlogits"]
    assert "an extra factor 5" in " ".join(str(report).split())


def test_the_biased_running_variance_and_an_unsummed_gradient_are_named():
    functions = _solution("batchnorm_running")
    right = functions["batchnorm_train"]

    def biased(x, gamma, beta, rm, rv, momentum=0.1, eps=1e-5):
        out, mean, _ = right(x, gamma, beta, rm, rv, momentum, eps)
        return out, mean, (1 - momentum) * rv + momentum * x.var(0)
    functions["batchnorm_train"] = biased
    text = str(check_task(functions, EXERCISES["batchnorm_running"]))
    text = " ".join(text.split())
    assert "FAILED: wrong train: running_var." in text and "unbiased one" in text

    functions = _solution("broadcasting")
    functions["puzzle1_backward"] = lambda dout, a, b: (dout, dout.sum(0))
    text = str(check_task(functions, EXERCISES["broadcasting"]))
    text = " ".join(text.split())
    assert "WRONG: shape (3, 4)" in text and "sum over axis 1 with keepdims=True" in text


def test_a_raise_or_a_bad_return_is_one_row_not_a_traceback(capsys):
    functions = _solution("softmax_cross_entropy")
    functions["softmax_cross_entropy"] = lambda logits, labels: 1 / 0
    report = check_task(functions, EXERCISES["softmax_cross_entropy"])
    assert "raised ZeroDivisionError" in str(report) and not report.passed
    functions["softmax_cross_entropy"] = lambda logits, labels: np.zeros(3)
    report = check_task(functions, EXERCISES["softmax_cross_entropy"])
    assert "it returns (loss, dlogits)" in " ".join(str(report).split())


def test_a_task_refuses_backward_options(capsys, monkeypatch):
    code, out = grade(capsys, monkeypatch, command("broadcasting") + " --shape x=3,4")
    assert code == 2 and "leave out --shape" in out


def test_each_lesson_ends_with_your_turn_naming_its_exercises():
    for path in sorted(TUTORIALS.glob("[01][0-9]_*.py")):
        lesson = int(path.name[:2])
        names = [n for n, e in LISTING.items() if e.lesson == lesson]
        if not names:
            continue
        text = path.read_text()
        turn, questions = text.find("# ## Your turn"), text.find("# ## Questions")
        assert 0 < turn < questions, path.name
        cell = text[turn:questions]
        for name in names:
            assert command(name) in cell, (path.name, name)
            assert f"tutorials/solutions/{LISTING[name].file}" in cell
            assert f"about {LISTING[name].minutes} min" in cell


def test_the_readme_and_tutorials_list_show_every_exercise(capsys, monkeypatch):
    readme = (TUTORIALS / "exercises" / "README.md").read_text()
    code, out = grade(capsys, monkeypatch, "minigrad tutorials list")
    assert code == 0
    for name in LISTING:
        assert f"`{command(name)}`" in readme, name
        assert f"exercise: {name} " in out, name
    assert "minigrad check tutorials/exercises/FILE --exercise NAME" in out


def test_the_new_backward_exercises_catch_their_classic_slips():
    from minigrad.cli.exercises import make_inputs
    from minigrad.coursework import check_backward

    def report_for(name, backward):
        ex = EXERCISES[name]
        forward = _solution(name)[ex.forward]
        return check_backward(forward, backward, make_inputs(ex.shapes, 0, ex.shifted),
                              ex.reference, constants=ex.constants)

    def rms_with_mean_term(dout, cache):         # LayerNorm's -mean(g) copied into RMSNorm
        dx, dgamma = _solution("rmsnorm")["rmsnorm_backward"](dout, cache)
        g = dout * cache["gamma"]
        return dx - g.mean(axis=1, keepdims=True) / cache["r"], dgamma
    assert report_for("rmsnorm", rms_with_mean_term).wrong == ["x"]

    def eval_with_training_formula(dout, cache):  # the batch statistics' paths kept
        x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
        m, g = dout.shape[0], dout * gamma
        dx = inv_std / m * (m * g - g.sum(0) - x_hat * (g * x_hat).sum(0))
        return dx, (dout * x_hat).sum(0), dout.sum(0)
    report = report_for("batchnorm_eval", eval_with_training_formula)
    assert report.wrong == ["x"]

    def ws_without_standardization_path(dout, cache):  # dw = dw_hat
        return dout @ cache["w_hat"], dout.T @ cache["x"]
    assert report_for("weightstd", ws_without_standardization_path).wrong == ["w"]


@pytest.mark.parametrize("lesson", range(1, 16))
def test_each_lesson_says_its_time_what_it_assumes_and_what_it_ends_with(lesson):
    import ast
    (path,) = TUTORIALS.glob(f"{lesson:02d}_*.py")
    doc = ast.get_docstring(ast.parse(path.read_text()))
    ends = " ".join(doc.split("Ends with:")[1].split("\n\n")[0].split())
    assert re.search(r"^Time: about \d+ minutes", doc, re.M) and "\nAssumes: " in doc
    readme = (TUTORIALS / "README.md").read_text()
    section = readme.split(f"### {lesson}. ")[1].split("\n### ")[0]
    assert "*Time: about" in section and "Assumes:" in section
    for name in (n for n, e in LISTING.items() if e.lesson == lesson):
        assert f"{name} (exercises/{LISTING[name].file})" in ends
        assert f"(exercises/{LISTING[name].file})" in section
    assert f"answers/{path.name}" in ends and f"(answers/{path.name})" in section


def test_lessons_10_to_12_name_their_classic_slips():
    import minigrad as mg

    def no_reset(model, batches):       # momentum None, but the stale statistics stay counted
        norms = [m for m in model.modules() if hasattr(m, "running_mean")]
        for m in norms:
            m.momentum = None
        with mg.no_grad():
            for x in batches:
                model(mg.Tensor(x))
        for m in norms:
            m.momentum = 0.1
        return model.eval()
    report = check_task({"reestimate_bn": no_reset}, EXERCISES["precise_bn"])
    assert "BatchNorm 1: running_mean" in report.wrong and "eval output" in report.wrong

    def hvp_of_sum(f, x, v):            # H @ ones instead of H @ v
        xt = mg.Tensor(x, requires_grad=True)
        (g,) = mg.grad(f(xt), xt, create_graph=True)
        return mg.grad(g.sum(), xt)[0].data
    functions = _solution("hvp")
    functions["hvp"] = hvp_of_sum
    text = " ".join(str(check_task(functions, EXERCISES["hvp"])).split())
    assert "FAILED: wrong hvp." in text and "multiply g by v" in text

    functions = _solution("seed_running_variance")
    functions["shrink_factor"] = lambda m: m / (m - 1)
    text = " ".join(str(check_task(functions, EXERCISES["seed_running_variance"])).split())
    assert "FAILED: wrong shrink_factor." in text and "inverted" in text
