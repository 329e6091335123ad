"""A recipe model's accuracy report (the bundled model's: `reports/data/accuracy-default.json`), rendered from
its JSON only.

`fastner train-default` (`fastner.train.recipe`) measures and saves the JSON (kind `accuracy`);
`render(data)` turns it into `reports/accuracy-default.md`, and `fastner report reports/data/*.json
--out reports` renders it again byte for byte. Every figure of the markdown comes from the JSON.
"""

from __future__ import annotations

import json
from typing import Any

KIND = "accuracy"
BUNDLED = "accuracy-default"  # the stem of the bundled model's report


def stem(data: dict[str, Any]) -> str:
    return data.get("stem", BUNDLED)


def _row(name: str, s: dict[str, Any]) -> str:
    return f"| {name} | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | {s['support']} |"


def _table(scores: dict[str, Any]) -> list[str]:
    rows = ["| type | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    rows += [_row(kind, s) for kind, s in scores["per_type"].items()]
    rows += [_row(f"**{name}**", scores[name]) for name in ("micro", "macro") if name in scores]
    return rows


def _pct(rate: float | None, counts: list[int] | None = None) -> str:
    if rate is None:
        return "n/a"
    return f"{100 * rate:.1f}%" + (f" ({counts[1]}/{counts[0]})" if counts else "")


def _word_vectors(config: dict, vectors: dict | None) -> str:
    """How the tagger's word vectors were made."""
    if vectors:
        return (f"{vectors['dim']}-d word vectors from spaCy's `{vectors['package']}` (its {vectors['top']:,} most "
                f"frequent words and the training words it knows: {vectors['words']:,} words; reduced to "
                f"{vectors['dim']} principal components; frozen)")
    if config.get("word_vectors"):
        return f"word vectors read from `{config['word_vectors']}`"
    return f"{config['word_dim']}-d word vectors learned over the training vocabulary"


def _load(loadavg: list[float] | None) -> str:
    return ", ".join(f"{x:.2f}" for x in loadavg) if loadavg else "not recorded"


def _handwritten(hw: dict[str, Any]) -> list[str]:
    splits = [name for name in ("dev", "heldout") if name in hw["splits"]]
    sets = [hw["splits"][name] for name in splits]
    sizes = ", ".join(f"{name}: {s['documents']} documents, {s['mentions']} mentions" for name, s in zip(splits, sets))
    lines = [
        f"Set: `{hw['path']}` ({sizes}); "
        "written by hand, never produced by the generator (its README says how). The `dev` half was read to "
        "find what the generator and the pseudonymization lack (by kind of error); the `heldout` half was only "
        "scored.",
        "",
        "### Span F1 of `predict` (exact character offsets)",
        "",
        "| type | " + " | ".join(f"{name} F1 (support)" for name in splits) + " | generator test split F1 |",
        "|---|" + "---:|" * (len(splits) + 1),
    ]
    generator = hw.get("generator_f1", {})
    labels = sorted({label for s in sets for label in s["spans"]["per_type"]})
    for label in labels:
        cells = []
        for s in sets:
            score = s["spans"]["per_type"].get(label)
            cells.append(f"{score['f1']:.3f} ({score['support']})" if score else "n/a")
        gen = generator.get(label)
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {gen:.3f} |" if gen is not None else
                     f"| {label} | " + " | ".join(cells) + " | n/a |")
    lines.append("| **micro** | " + " | ".join(f"{s['spans']['micro']['f1']:.3f} ({s['spans']['micro']['support']})"
                                              for s in sets) + " | " +
                 (f"{generator['micro']:.3f}" if "micro" in generator else "n/a") + " |")
    lines += [
        "",
        "### What `fastner anonymize` leaves in clear",
        "",
        "Through the commands' own pipeline (`process_texts`), default types (PERS, ADDRESS). A mention counts as "
        "replaced when every non-space character of it is inside a replaced slice; a lawyer or judge mention as "
        "kept when none is; other text: the non-space characters outside every gold PERS, ADDRESS, LAWYER and "
        "JUDGE_CLERK mention (and, for cassation, outside birth dates), unchanged. The consistency pass (off "
        "with `--no-consistency`) also keeps a mention tagged as a judge or a lawyer in clear only if that "
        "string, or a longer name it is a short form of, is named in the document next to a word of a court role "
        "(présidente, greffier, Me...: `analysis.role_flag`, `anonymize.is_short_form`). Around the model, "
        "anonymize makes addresses and names whole and replaces untagged names after a title or a word of "
        "kinship, places after \"à\", named places, whoever is \"né(e) le\", the place after a birth date and "
        "initials with an ellipsis (`passes.store_spans`; the README lists them).",
        "",
        "| command | set | PERS+ADDRESS replaced | PERS | ADDRESS | lawyers and judges kept | other text unchanged "
        "| birth dates replaced |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in zip(splits, sets):
        for setting, r in s["anonymize"].items():
            command = "`fastner anonymize`" + (f" `--strategy {setting.split(',')[0]}`"
                                               if not setting.startswith("placeholder") else "")
            if "no consistency" in setting:
                command += " `--no-consistency`"
            lines.append(
                f"| {command} | {name} | {_pct(r['pers_address'], r['pers_address_counts'])} | "
                f"{_pct(r['per_type']['PERS']['rate'], r['per_type']['PERS']['counts'])} | "
                f"{_pct(r['per_type']['ADDRESS']['rate'], r['per_type']['ADDRESS']['counts'])} | "
                f"{_pct(r['kept'], r['kept_counts'])} | {_pct(r['other'])} | "
                f"{_pct(r['birth_dates'], r['birth_date_counts'])} |")
    dev = hw["splits"].get("dev")
    if dev is not None:
        leaks = dev["anonymize"]["placeholder"]["leaks"]
        lines += ["", f"Mentions of the `dev` half left at least partly in clear by the default command "
                      f"({len(leaks)}): " + (", ".join(f"{label} \u00ab{text}\u00bb" for label, text in leaks)
                                              or "none") + "."]
    return lines


def _trials(trials: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## How the settings were chosen",
        "",
        "Each row is a full run of this recipe with the settings shown (its test F1 from its own run), or a "
        "model directory (`model DIR`: e.g. the model bundled before, scored on this run's test split); every "
        "model is scored on the hand-written `dev` half by the recipe (`--trials`). Columns: F1 on the "
        "generator's unseen-template test split, then on the hand-written `dev` half: span F1 and the share of "
        "PERS+ADDRESS mentions that `fastner anonymize` (default command) replaces fully.",
        "",
        "| run | settings | train wall | test PERS | test ADDRESS | test micro | dev PERS | dev ADDRESS "
        "| dev replaced |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in trials:
        test, dev = t["test_f1"], t.get("dev")
        cells = [f"{test.get(k, 0.0):.3f}" for k in ("PERS", "ADDRESS", "micro")]
        if dev:
            cells += [f"{dev['PERS']:.3f}", f"{dev['ADDRESS']:.3f}", _pct(dev["replaced"])]
        else:
            cells += ["n/a"] * 3
        wall = "n/a" if t["train_wall_s"] is None else f"{t['train_wall_s'] / 60:.1f} min"
        note = f" {t['note']}" if t.get("note") else ""
        lines.append(f"| {t['name']} | `{t['settings']}`{note} | {wall} | "
                     + " | ".join(cells) + " |")
    return [*lines, ""]


def render(data: dict[str, Any]) -> str:
    """The markdown of `data` (kind `accuracy`, written by `fastner.train.recipe`)."""
    env, gen, train = data["environment"], data["generator"], data["training"]
    scores, lm, model = data["test"], data["lms"], data["model"]
    flags = env.get("cpu_flags", [])
    bundled = stem(data) == BUNDLED
    name = "bundled model" if bundled else f"the model of `{stem(data)}`"
    lines = [
        "# Accuracy of the bundled model (fastner/models/default)" if bundled
        else f"# Accuracy of the recipe's model `{stem(data)}` (not bundled: the command below trains it)",
        "",
        f"Generated from `reports/data/{stem(data)}.json` (written by the training recipe; re-rendered by "
        "`fastner report`); do not edit by hand. Data: synthetic French court-of-appeal decisions from "
        f"`fastner.synth` (seed {gen['seed']}, variant rate {gen['variants']}, coverage additions "
        f"`{json.dumps(gen['coverage'])}`): {gen['train_docs']} training, {gen['dev_docs']} dev and "
        f"{gen['test_docs']} test documents. The test split uses sentence templates and name lists that train "
        "and dev never use. Scores are CoNLL span-level exact match (seqeval's default mode), computed from the "
        f"tags the saved model predicts through `SequenceTagger.predict` ({scores['sentences']} test sentences, "
        f"{scores['tokens']} tokens, predicted in {scores['predict_s']:.1f}s).",
        "",
        "## Command",
        "",
        "```",
        data["command"],
        "```",
        "",
        f"Training time (generation + both LMs + tagger): **{train['wall_s'] / 60:.1f} min wall**, "
        f"{train['cpu_s'] / 60:.1f} min CPU (user + system), {train['device'].upper()}, torch threads "
        f"{env['torch_threads']}, Python {env['python']}, torch {env['torch']}; {env['cpu_model']}, "
        f"{env['cpu_count']} cores, AVX512-BF16: {'yes' if 'avx512_bf16' in flags else 'no'}; load average "
        f"{_load(env.get('loadavg'))} at the start of training. Stages: "
        + ", ".join(f"{k} {v:.0f}s" for k, v in train["stages_s"].items()) + ".",
        "",
        f"## fastner ({name}) on the generator's test split",
        "",
        *_table(scores["scores"]),
        "",
    ]
    if data.get("handwritten"):
        lines += ["## On hand-written decisions", "", *_handwritten(data["handwritten"]), ""]
    lines += ["## Reference: spaCy on the same test sentences", ""]
    spacy = data["spacy"]
    if spacy.get("rows") is None:
        lines += [f"No spaCy row: {spacy['note']}.", ""]
    else:
        lines += [
            f"{spacy['note']}, run on each test sentence's original text; its PER/LOC/ORG entities are mapped to "
            "PERS/ADDRESS/ORGANIZATION (MISC dropped) and aligned to fastner's tokens by character overlap. spaCy "
            "has no LAWYER, JUDGE_CLERK, BAR, COURT or DATE type, and its LOC marks places, not whole postal "
            "addresses, so only these rows compare like with like. The spaCy row is optional: the recipe skips it "
            "when spaCy or its model is not installed.",
            "",
            "| model, type | precision | recall | F1 | support |",
            "|---|---:|---:|---:|---:|",
            *[_row(name, s) for name, s in spacy["rows"]],
            "",
        ]
    config = train["config"]
    lines += [
        "## Training details",
        "",
        f"- Character LMs: hidden {lm['hidden']}, 1 layer, {lm['epochs']} epochs on the text of {lm['docs']} "
        "training documents (tokenized sentences between the tagger's markers). Perplexity on dev text per epoch: "
        + "; ".join(f"{name} " + ", ".join(f"{h['dev_perplexity']:.2f}" for h in hist)
                    for name, hist in lm["history"].items()) + ".",
        "- Tagger: " + _word_vectors(config, data.get("vectors"))
        + f", frozen LMs, reprojection, BiLSTM hidden {config['hidden_size']}, CRF; Adam lr {config['lr']}, "
        f"batch {config['batch_size']}, dropout {config['dropout']}, word dropout {config['word_dropout']}, "
        f"unknown-word rate {config['unk_rate']}"
        + (f" (inside gold entities also {config['entity_unk_rate']})" if config.get("entity_unk_rate") else "")
        + f", spliced sentences {config['augment']:.0%} of the training set "
        f"(`trainer.splice`); early stopping on dev micro F1 (patience {config['patience']}). Best dev micro F1 "
        f"{train['best_dev_f1']:.4f}.",
        "- Epochs: " + "; ".join(f"{h['epoch']}: loss {h['loss']:.3f}, dev F1 {h['dev_micro_f1']:.4f}, "
                                  f"{h['tokens_per_second']:,.0f} tok/s" for h in train["history"]) + ".",
        f"- Model: {model['name']}/ ({model['bytes'] / 1e6:.1f} MB: config.json + model.safetensors), tags "
        f"{', '.join(model['tags'])}.",
        "",
        "Training configuration: `" + json.dumps(config) + "`",
        "",
    ]
    if data.get("trials"):
        lines += _trials(data["trials"])
    lines += ["The command above is the whole recipe: re-running it gives the same model file, byte for byte.", ""]
    return "\n".join(lines)
