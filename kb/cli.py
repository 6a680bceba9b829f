"""The `kb` command: index, search, serve and check a knowledge base.

A thin `click` group, as in datasette: each command reads the settings, calls into
`kb`, `search` or `web`, and prints. This module is the one place where the
packages meet, so it imports `search` and `web` inside the commands.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys

import click

from kb.config import ConfigError, Settings


def with_settings(command):
    """Add --articles/--index to a command and pass it validated `Settings`."""

    @click.option("--articles", "articles", metavar="DIR", help="Articles folder [env KB_ARTICLES; articles]")
    @click.option("--index", "index", metavar="DIR", help="Index folder [env KB_INDEX; .kb/index]")
    @functools.wraps(command)
    def wrapper(articles, index, **kwargs):
        try:
            settings = Settings.load(articles, index)
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
        return command(settings, **kwargs)

    return wrapper


@click.group()
@click.version_option(package_name="kb")
def cli():
    """Knowledge-base search for customer service: Markdown articles in, ranked answers out."""


def print_problems(problems) -> None:
    for problem in problems:
        click.echo(problem.format(), err=True)


class ProgressBar:
    """`search.indexer`'s progress callback drawn as click progress bars on stderr, one per stage,
    with counts and the time left; nothing at all when stderr is not a terminal."""

    LABELS = {"reading": "reading files", "indexing": "indexing", "meaning": "embedding passages"}

    def __init__(self):
        self.enabled = sys.stderr.isatty()
        self.stage = None
        self.bar = None
        self.shown = 0  # the count the bar shows; redrawn every 0.5% of the total

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage, self.shown = stage, 0
            self.bar = click.progressbar(length=total, label=self.LABELS.get(stage, stage), file=sys.stderr,
                                         show_pos=True, show_eta=True)
        if done == total or done - self.shown >= total / 200:
            self.bar.update(done - self.shown)
            self.shown = done
        if done == total and stage == "indexing":
            self.bar.label = "saving the index"
            self.bar.render_progress()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()
            self.bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def sync(settings: Settings, **options):
    """`sync_index` for a command: progress bars on a terminal, its problems printed; a busy
    write lock or a full disk is a one-line error (exit 1), never a traceback."""
    from search.indexer import sync_index

    options.setdefault("meaning", settings.meaning)
    try:
        with ProgressBar() as progress:
            report = sync_index(settings.articles_dir, settings.index_dir, progress=progress, **options)
    except TimeoutError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"could not write the index in {settings.index_dir}: "
                                   f"{exc.strerror or exc}; the index it had is unchanged") from None
    if report.recovered:
        click.echo(report.recovered, err=True)
    print_problems(report.problems)
    from search import bridge, spelling

    # CC-CEDICT and the English word list read once per machine here, so that no search pays for it
    bridge.ensure()
    spelling.ENGLISH.ensure()
    return report


@cli.command("index")
@click.option("--rebuild", is_flag=True, help="Build a new index from scratch and swap it in.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Processes for segmentation.")
@with_settings
def index_command(settings: Settings, rebuild: bool, workers: int | None):
    """Index the articles (incremental unless --rebuild). Exit 1 if any file failed."""
    report = sync(settings, rebuild=rebuild, workers=workers)
    click.echo(f"{report.mode}: {report.articles} articles ({report.added} added, {report.changed} changed, "
               f"{report.removed} removed, {len(report.problems)} problems) in {report.seconds:.2f}s")
    sys.exit(1 if any(p.level == "error" for p in report.problems) else 0)


@cli.command("search")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print exactly what /api/search returns.")
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]))
@click.option("--agent", is_flag=True, help="Include internal articles, as an agent sees them.")
@with_settings
def search_command(settings: Settings, query: str, as_json: bool, limit: int, lang: str | None, agent: bool):
    """Search the index and print answers and articles."""
    from search.searcher import SearchIndex
    from search.store import current_generation

    if not query.strip():
        raise click.UsageError("QUERY is empty")
    if current_generation(settings.index_dir) is None:
        sync(settings)
    results = SearchIndex(settings.index_dir).search(query, limit=limit, lang=lang, internal=agent)
    if as_json:
        click.echo(json.dumps(results.to_dict(), ensure_ascii=False, indent=2))
        return
    # The answer card is shown only when the search is sure of it, as the help center does.
    for answer in results.answers[:1] if results.confidence == "high" else []:
        click.echo(f"» {answer.title} — {answer.heading}  {answer.url}")
        click.echo("  " + answer.text.replace("\n", "\n  "))
    click.echo(f"{results.total} articles ({results.took_ms} ms), confidence {results.confidence}")
    for n, hit in enumerate(results.articles, start=1):
        badge = " [internal]" if hit.visibility == "internal" else ""
        click.echo(f"{n:>3}. {hit.title}{badge}  {hit.url}  ({hit.score:.2f})")
    if results.did_you_mean:
        click.echo(f"Did you mean: {results.did_you_mean}")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes; one of them applies article changes, all of them answer.")
@click.option("--no-watch", is_flag=True, help="Do not apply article changes while serving.")
@with_settings
def serve_command(settings: Settings, host: str, port: int, workers: int, no_watch: bool):
    """Serve the site and the API from the index, bringing it up to date in the background and
    applying article changes live (an index that is missing or of another version is built first)."""
    from web import database, ratelimit
    from web.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("kb.serve")
    try:  # the shared services must answer before anything starts
        database.connect(database.database_url(settings.index_dir, settings.database_url)).dispose()
        ratelimit.check_storage(settings.rate_limit_storage)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.database_url and not settings.secret_key:
        log.warning("KB_DATABASE_URL is set but KB_SECRET_KEY is not: replicas sign sessions with keys "
                    "of their own, so an agent signed in on one is signed out on the next; set one key")
    from search.indexer import unservable

    reason = unservable(settings.index_dir)
    if reason is None:  # serve it at once; one worker brings it up to date in the background
        log.info("serving the index in %s; the start-up index sync runs in the background",
                 settings.index_dir)
    else:  # no worker may serve a missing or outdated index: the first build comes first
        log.info("%s: building it before serving", reason)
        # By words: the meaning model's passages are embedded by the live writer while serving.
        report = sync(settings, meaning=False)
        log.info("start-up index sync (%s): %d articles, +%d ~%d -%d, %d problems, in %.2fs", report.mode,
                 report.articles, report.added, report.changed, report.removed, len(report.problems),
                 report.seconds)
    if settings.meaning:
        # The model's engine on one thread in each process of the server (workers and the live
        # writer): with two, the workers' and the writer's threads fought for the cores — on the
        # starter KB under bench/load.py, search p95 at rest 267 ms with two, 132 with one (98
        # without the model).
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    if workers > 1:
        from search.version import preload

        preload(settings.index_dir)  # the workers share one copy of the analyzer's dictionary
    log.info("serving on http://%s:%d with %d worker(s)", host, port, workers)
    serve({"KB_ARTICLES": str(settings.articles_dir), "KB_INDEX": str(settings.index_dir),
           "KB_WATCH": settings.watch and not no_watch, "KB_STARTUP_SYNC": reason is None},
          host, port, workers)


@cli.command("new")
@click.argument("title")
@click.option("--category", help="Category; the file goes to the folder that holds this category.")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language [default: detected from the title]")
@click.option("--internal", is_flag=True, help="Visible to agents only.")
@with_settings
def new_command(settings: Settings, title: str, category: str | None, lang: str | None, internal: bool):
    """Write a new draft article with complete front matter and print its path."""
    from kb.articles import article_id_for
    from kb.new import create_article

    try:
        path = create_article(settings.articles_dir, title, category, lang, internal)
    except ValueError as exc:
        raise click.UsageError(f"TITLE: {exc}") from None
    click.echo(path)
    article_id = article_id_for(path.relative_to(settings.articles_dir).as_posix())
    click.echo(f"draft: only signed-in agents see it (preview: /articles/{article_id}); "
               "remove the `draft: true` line to publish", err=True)


@cli.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@with_settings
def check_command(settings: Settings, as_json: bool, strict: bool):
    """Parse every article and list problems as path:line: level: message."""
    from kb.check import check_articles
    from search.store import id_holders

    holders = id_holders(settings.index_dir)  # from the index's derived catalog: no search engine
    if holders is None:  # an index without derived state
        from search.indexer import id_holders as indexed_holders

        holders = indexed_holders(settings.index_dir)
    problems = check_articles(settings.articles_dir, holders=holders)
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            click.echo(problem.format())
        errors = sum(p.level == "error" for p in problems)
        click.echo(f"{errors} errors, {len(problems) - errors} warnings", err=True)
    failing = [p for p in problems if p.level == "error" or strict]
    sys.exit(1 if failing else 0)


@cli.command("eval")
@click.option("--queries", "queries_files", required=True, multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="TSV file: query<TAB>space-separated relevant article ids (or `-` for an off-topic "
                   "question), optionally <TAB>acceptable section headings separated by `|`. May be given "
                   "more than once.")
@click.option("--offtopic", "offtopic_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Questions the articles do not answer, one a line (or query<TAB>-): how many still get "
                   "a high-confidence answer card. May be given more than once.")
@click.option("--triage", is_flag=True, help="Ask the answer bot instead: answered correctly, answered "
                                             "wrongly, handed over.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@with_settings
def eval_command(settings: Settings, queries_files: tuple[str, ...], offtopic_files: tuple[str, ...],
                 triage: bool, as_json: bool):
    """Measure search quality: MRR@10, hit@1/3/10, the answer card's section, off-topic answers,
    latency, and the worst misses."""
    from kb.evaluate import QueriesFileError, evaluate, read_off_topic, read_queries
    from search.searcher import SearchIndex

    try:
        judgements = [j for path in queries_files for j in read_queries(path)]
        judgements += [j for path in offtopic_files for j in read_off_topic(path)]
    except QueriesFileError as exc:
        raise click.UsageError(str(exc)) from None
    sync(settings)
    index = SearchIndex(settings.index_dir)
    if triage:
        print_triage(index, judgements, as_json)
        return
    result = evaluate(judgements, lambda q: found(index.search(q, limit=10, internal=True)))
    summary = result.summary()
    worst = [{"query": o.query, "expected": sorted(o.relevant), "rank": o.rank,
              "first": o.ranked[0] if o.ranked else None} for o in result.worst(20)]
    sections = [{"query": o.query, "expected": list(o.sections),
                 "card": f"{o.answer[0]} › {o.answer[1]}" if o.answer else None}
                for o in result.wrong_sections(20)]
    off_topic = [{"query": o.query, "card": f"{o.answer[0]} › {o.answer[1]}" if o.answer else None}
                 for o in result.off_topic_answered()]
    if as_json:
        click.echo(json.dumps({**summary, "worst": worst, "wrong_sections": sections,
                               "off_topic_answered": off_topic}, ensure_ascii=False, indent=2))
        return

    def share(value):
        return "—" if value is None else f"{value:.3f}"

    click.echo(f"queries {summary['queries']}  MRR@10 {summary['mrr@10']:.3f}  hit@1 {summary['hit@1']:.3f}  "
               f"hit@3 {summary['hit@3']:.3f}  hit@10 {summary['hit@10']:.3f}  "
               f"section@1 {share(summary['section@1'])}  card rate {share(summary['card_rate'])}  "
               f"latency p50 {summary['p50_ms']:.1f} ms  p95 {summary['p95_ms']:.1f} ms")
    if summary["off_topic"]:
        click.echo(f"off-topic {summary['off_topic']}  answered with high confidence "
                   f"{share(summary['off_topic_high'])}")
    if worst:
        click.echo("worst misses (rank, query, expected, first result):")
    for miss in worst:
        click.echo(f"  {miss['rank'] or '-':>2}  {miss['query']}  →  {' '.join(miss['expected'])}  "
                   f"(first: {miss['first']})")
    if sections:
        click.echo("answer card not from an expected section (query → card; expected headings):")
    for miss in sections:
        click.echo(f"  {miss['query']}  →  {miss['card'] or '(none)'}  ({' | '.join(miss['expected'])})")
    if off_topic:
        click.echo("off-topic questions answered with high confidence (query → card):")
    for miss in off_topic:
        click.echo(f"  {miss['query']}  →  {miss['card']}")


def found(results):
    """What `kb eval` judges of one search: ranked ids, the first answer card, the confidence."""
    from kb.evaluate import Found

    answer = (results.answers[0].article_id, results.answers[0].heading) if results.answers else None
    return Found([a.id for a in results.articles], answer, results.confidence)


@cli.command("token")
def token_command():
    """Print a new random agent token, to add to KB_AGENT_TOKENS."""
    from kb.config import new_token

    click.echo(new_token())


def print_triage(index, judgements, as_json: bool) -> None:
    """`kb eval --triage`: every question through the answer bot, as `/api/ask` answers it."""
    from kb.evaluate import triage
    from web.bot import reply

    def answered(question: str) -> str | None:
        answer = reply(index, question).answer
        return answer.article_id if answer else None

    result = triage(judgements, answered)
    summary = result.summary()
    wrong = [{"query": o.query, "expected": sorted(o.relevant) or "-", "answered": o.answered}
             for o in result.wrong()]
    if as_json:
        click.echo(json.dumps({**summary, "wrong": wrong}, ensure_ascii=False, indent=2))
        return

    def share(value):
        return "—" if value is None else f"{value * 100:.1f}%"

    click.echo(f"questions {summary['questions']} ({summary['on_topic']} on-topic, {summary['off_topic']} "
               f"off-topic): answered correctly {summary['answered_correctly']}, answered wrongly "
               f"{summary['answered_wrongly']}, handed over {summary['handed_over']}")
    click.echo(f"on-topic: answered correctly {share(summary['on_topic_answered_correctly'])}, wrongly "
               f"{share(summary['on_topic_answered_wrongly'])}, handed over "
               f"{share(summary['on_topic_handed_over'])}")
    click.echo(f"off-topic: handed over {share(summary['off_topic_handed_over'])}, answered "
               f"{share(summary['off_topic_answered'])}")
    click.echo(f"answered wrongly, of all questions: {share(summary['answered_wrongly_of_all'])}")
    if wrong:
        click.echo("answered wrongly (query → answered from; expected):")
    for miss in wrong:
        expected = " ".join(miss["expected"]) if isinstance(miss["expected"], list) else "off-topic"
        click.echo(f"  {miss['query']}  →  {miss['answered']}  ({expected})")


@cli.command("report")
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True,
              help="How many days back, today included.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_settings
def report_command(settings: Settings, days: int, as_json: bool):
    """Search insights: zero-result rate, click-through, self-service rate, top queries, content
    gaps, articles voted not helpful, hand-over reasons and phrasings to add to articles."""
    from search.indexer import exists
    from search.searcher import SearchIndex
    from web import database, report

    engine = database.connect(database.database_url(settings.index_dir, settings.database_url))
    index = SearchIndex(settings.index_dir) if exists(settings.index_dir) else None

    def questions_of(article_id: str):
        found = index.get_article(article_id, internal=True) if index else None
        return (found["title"], found["questions"]) if found else None

    built = report.build(engine, days, questions_of)
    if as_json:
        click.echo(json.dumps(built.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.to_text(built))


def main():
    cli(prog_name="kb")


if __name__ == "__main__":
    main()
