"""The interface language: Chinese by default, English on request; messages for both.

The language comes from `?lang=`, then the `lang` cookie, then Accept-Language.
A `?lang=` choice is remembered in the cookie. Article content keeps its own
language whatever the interface shows.
"""

from __future__ import annotations

from flask import g, request, url_for

from web.sessions import cookie_secure

LANGS = ("zh", "en")
COOKIE = "lang"
SITE_KEYS = {"site_name": "name", "tagline": "tagline", "search_placeholder": "search_placeholder",
             "contact": "contact"}  # message → `_site.yml` key

MESSAGES = {
    "zh": {
        # site_name, tagline, search_placeholder, contact: defaults; `_site.yml` in the articles
        # folder names the site (kb.site, web.site).
        "site_name": "帮助中心", "featured": "推荐文章", "search_placeholder": "输入你的问题", "tagline": "",
        "search": "搜索", "search_label": "搜索帮助文章", "categories": "文章分类",
        "recent": "最近更新", "articles_count": "{n} 篇", "results_for": "“{q}”的搜索结果",
        "found": "找到 {n} 篇文章", "best_answer": "最佳答案", "other_answers": "其他相关段落",
        "read_more": "查看全文", "articles": "相关文章", "suggested": "你可能还想看",
        "did_you_mean": "你是不是要找：", "no_results": "没有找到与“{q}”相关的文章。",
        "no_results_help": "换个说法试试，或者直接联系我们：",
        "contact": "",
        "popular": "常见文章", "all_languages": "全部语言", "all_categories": "全部分类",
        "language": "语言", "category": "分类", "filter": "筛选", "home": "首页",
        "contents": "目录", "tags": "标签", "updated": "更新于 {d}", "related": "相关文章",
        "helpful": "这篇文章有帮助吗？", "yes": "有帮助", "no": "没帮助",
        "thanks": "感谢你的反馈！", "feedback_error": "反馈没有发送成功，请稍后再试。",
        "not_found": "页面不存在", "not_found_text": "你要找的页面不存在或已被移除。",
        "pages": "分页", "previous": "上一页", "next": "下一页", "page_of": "第 {n} / {total} 页",
        "too_many": "请求太频繁", "too_many_text": "请稍等一分钟再试。",
        "server_error": "出错了", "server_error_text": "服务暂时出现问题，请稍后再试。",
        "back_home": "返回首页", "switch_lang": "English", "switch_lang_code": "en",
        "skip": "跳到主要内容", "lang_zh": "中文", "lang_en": "英文",
        "internal": "内部", "agent_console": "坐席工作台", "sign_in": "登录",
        "sign_out": "退出登录", "token": "坐席令牌", "sign_in_title": "坐席登录",
        "sign_in_error": "令牌无效，请重试。", "agent_search": "搜索答案（按 / 聚焦）",
        "recent_viewed": "最近查看", "copy_hint": "↑↓ 选择 · Enter 打开 · c 复制答案",
        "copied": "已复制答案", "index_problems": "有 {n} 个文章文件存在问题，当前使用其上一个正确版本：",
        "no_article": "选择一条结果查看全文", "open_error": "文章打开失败，请重试。",
        "results_count": "{n} 条结果",
        # Issue 15: search everywhere, one language at a time, drafts, "what was missing?"
        "breadcrumb": "当前位置", "search_results": "搜索结果", "results_page": "第 {n} 页",
        "lang_first": "中文优先", "lang_only_zh": "仅中文", "lang_only_en": "仅英文",
        "other_lang_articles": "英文文章", "other_lang_categories": "英文文章分类",
        "versions": "语言版本", "read_in": "阅读{lang}版", "lang_name_zh": "中文", "lang_name_en": "英文",
        "draft": "草稿", "preview": "预览页面",
        "draft_notice": "草稿：只有坐席能看到这篇文章。在文章开头删除 draft: true 这一行即可发布。",
        "reason_question": "缺少了什么？（可选）", "reason_not_answered": "没有回答我的问题",
        "reason_unclear": "看不懂", "reason_outdated": "内容过时或有错误",
        "reason_didnt_work": "照做了还是不行",
        "reason_other": "其他", "reason_comment": "想补充点什么吗？（可选）", "send": "提交",
        "skip_question": "跳过", "thanks_reason": "谢谢，我们会据此改进这篇文章。",
        "need_human": "需要人工帮助？",
        "close_panel": "返回结果", "copy_hint_box": "在搜索框中：Enter 打开 · Ctrl+C 复制答案",
        "no_tokens": "还没有配置坐席令牌，所以现在无法登录。",
        "no_tokens_help": ("请管理员在启动服务前设置环境变量 KB_AGENT_TOKENS（多个令牌用逗号分隔，"
                           "每个至少 32 个字符，可用 kb token 生成），例如：KB_AGENT_TOKENS=令牌 make serve"),
    },
    "en": {
        "site_name": "Help Center", "featured": "Featured articles", "search_placeholder": "Ask a question",
        "tagline": "",
        "search": "Search", "search_label": "Search help articles", "categories": "Categories",
        "recent": "Recently updated", "articles_count": "{n} articles", "results_for": "Results for “{q}”",
        "found": "{n} articles found", "found_one": "1 article found", "articles_count_one": "1 article",
        "best_answer": "Best answer",
        "other_answers": "Other matching sections",
        "read_more": "Read the article", "articles": "Articles", "suggested": "You may also want",
        "did_you_mean": "Did you mean:", "no_results": "Nothing found for “{q}”.",
        "no_results_help": "Try other words, or contact us:",
        "contact": "",
        "popular": "Popular articles", "all_languages": "All languages", "all_categories": "All categories",
        "language": "Language", "category": "Category", "filter": "Filter", "home": "Home",
        "contents": "Contents", "tags": "Tags", "updated": "Updated {d}", "related": "Related articles",
        "helpful": "Was this helpful?", "yes": "Yes", "no": "No",
        "thanks": "Thanks for your feedback!",
        "feedback_error": "Your feedback was not sent; please try again.",
        "not_found": "Page not found", "not_found_text": "The page you are looking for does not exist.",
        "pages": "Pages", "previous": "Previous", "next": "Next", "page_of": "Page {n} of {total}",
        "too_many": "Too many requests", "too_many_text": "Please wait a minute and try again.",
        "server_error": "Something went wrong", "server_error_text": "Please try again in a moment.",
        "back_home": "Back to the help center", "switch_lang": "中文", "switch_lang_code": "zh",
        "skip": "Skip to main content", "lang_zh": "Chinese", "lang_en": "English",
        "internal": "internal", "agent_console": "Agent console", "sign_in": "Sign in",
        "sign_out": "Sign out", "token": "Agent token", "sign_in_title": "Agent sign-in",
        "sign_in_error": "That token is not valid. Please try again.",
        "agent_search": "Search answers (press / to focus)", "recent_viewed": "Recently viewed",
        "copy_hint": "↑↓ select · Enter open · c copy answer", "copied": "Answer copied",
        "index_problems": "{n} article files have problems; their last good version is served:",
        "no_article": "Pick a result to read the article",
        "open_error": "The article could not be opened; please try again.", "results_count": "{n} results",
        # Issue 15: search everywhere, one language at a time, drafts, "what was missing?"
        "breadcrumb": "Breadcrumb", "search_results": "Search results", "results_page": "page {n}",
        "lang_first": "English first", "lang_only_zh": "Chinese only", "lang_only_en": "English only",
        "other_lang_articles": "Articles in Chinese", "other_lang_categories": "Categories in Chinese",
        "versions": "Language versions", "read_in": "Read in {lang}", "lang_name_zh": "Chinese",
        "lang_name_en": "English", "draft": "draft", "preview": "Preview page",
        "draft_notice": ("Draft: only agents see this article. Remove the line draft: true at the top "
                         "of the file to publish it."),
        "reason_question": "What was missing? (optional)",
        "reason_not_answered": "It didn't answer my question",
        "reason_unclear": "It was hard to understand", "reason_outdated": "It's out of date or wrong",
        "reason_didnt_work": "I followed it and it didn't work", "reason_other": "Something else",
        "reason_comment": "Anything to add? (optional)", "send": "Send", "skip_question": "Skip",
        "thanks_reason": "Thank you; we will use this to improve the article.",
        "need_human": "Need a person?",
        "close_panel": "Back to results",
        "copy_hint_box": "In the search box: Enter opens · Ctrl+C copies the answer",
        "no_tokens": "No agent tokens are configured, so nobody can sign in yet.",
        "no_tokens_help": ("Ask the administrator to set KB_AGENT_TOKENS (comma-separated, at least 32 "
                           "characters each; `kb token` prints one) before starting the server, e.g. "
                           "KB_AGENT_TOKENS=your-token make serve"),
    },
}

# The answer bot, hand-overs and search insights (issue 12).
MESSAGES["zh"].update({
    "ask_us": "问我们", "ask_title": "在线问答",
    "ask_intro": "你好，我是帮助中心的问答助手。请直接输入你的问题。", "ask_label": "你的问题",
    "ask_send": "发送", "ask_close": "关闭", "ask_you": "你", "ask_bot": "助手", "ask_source": "来源：",
    "ask_vote": "这个回答有帮助吗？", "ask_not_sure": "我不太确定答案，这些文章也许有用：",
    "ask_no_answer": "抱歉，我没有找到这个问题的答案。", "ask_offer": "需要的话，可以转人工客服。",
    "ask_handover": "转人工", "ask_contact": "联系方式（选填，手机号或邮箱）",
    "ask_note": "补充说明（选填）", "ask_handed_over": "已转人工客服（编号 {id}），客服会尽快联系你。",
    "ask_asked_human": "好的，马上为你转人工客服。", "ask_sorry": "抱歉没能帮上忙。", "ask_new": "新的对话",
    "ask_error": "消息没有发送成功，请稍后再试。", "ask_thanks": "谢谢你的反馈！",
    "ask_page_title": "在线问答", "handovers": "转人工队列",
    "handovers_empty": "暂无等待中的客户。", "claim": "接手", "claimed_by_you": "由你接手",
    "claimed_by_other": "已被其他坐席接手", "claim_taken": "这位客户已被其他坐席接手。",
    "handover_new": "新的转人工：{n} 位", "reason_no_answer": "没有答案",
    "reason_low_confidence": "答案不确定", "reason_asked_for_human": "要求转人工",
    "reason_not_helpful": "回答没帮助", "contact_label": "联系方式", "note_label": "说明",
    "bot_showed": "助手展示了", "vote_yes": "（有帮助）", "vote_no": "（没帮助）",
    "insights": "搜索分析", "chart_title": "最近 {n} 天每天的搜索量", "searches": "搜索",
    "zero_result": "无结果", "period": "时间范围", "days": "{n} 天", "zero_result_rate": "无结果率",
    "no_answer_rate": "无答案率",
    "click_through": "点击率", "self_service_rate": "自助解决率", "handover_rate": "转人工率",
    "bot_answer_rate": "机器人回答率", "top_queries": "热门搜索",
    "content_gaps": "内容缺口（无结果或无把握的搜索）", "most_not_helpful": "“没帮助”最多的文章",
    "handover_reasons": "转人工原因", "question_suggestions": "建议加入文章的问法", "query": "搜索词",
    "count": "次数", "clicks": "点击", "mean_position": "平均点击位置", "no_confidence": "无把握",
    "last_day": "最近一次", "article": "文章", "not_helpful_votes": "没帮助", "helpful_votes": "有帮助",
    "reason": "原因", "download_csv": "下载 CSV", "no_data": "这段时间还没有数据。",
    "snippet_hint": "复制到文章的 front matter：", "back_to_console": "返回工作台"
})
MESSAGES["en"].update({
    "ask_us": "Ask us", "ask_title": "Ask us",
    "ask_intro": "Hi! I'm the help-center assistant. Type your question.", "ask_label": "Your question",
    "ask_send": "Send", "ask_close": "Close", "ask_you": "You", "ask_bot": "Assistant",
    "ask_source": "Source: ", "ask_vote": "Did this answer help?",
    "ask_not_sure": "I'm not sure I have the answer; these articles may help:",
    "ask_no_answer": "Sorry, I couldn't find an answer to that.",
    "ask_offer": "If you like, a person can take over.", "ask_handover": "Talk to a person",
    "ask_contact": "How can we reach you? (optional: phone or e-mail)",
    "ask_note": "Anything to add? (optional)",
    "ask_handed_over": "A person from our team will take over (hand-over #{id}). We'll be in touch soon.",
    "ask_asked_human": "Sure, let's get you a person.", "ask_sorry": "Sorry that didn't help.",
    "ask_new": "New conversation", "ask_error": "The message was not sent; please try again.",
    "ask_thanks": "Thanks for the feedback!", "ask_page_title": "Ask us",
    "handovers": "Hand-over queue", "handovers_empty": "No customers waiting.", "claim": "Take over",
    "claimed_by_you": "Taken by you", "claimed_by_other": "Taken by another agent",
    "claim_taken": "Another agent has taken this customer.", "handover_new": "New hand-overs: {n}",
    "reason_no_answer": "No answer", "reason_low_confidence": "Not sure",
    "reason_asked_for_human": "Asked for a person", "reason_not_helpful": "Answer did not help",
    "contact_label": "Contact", "note_label": "Note", "bot_showed": "Bot showed",
    "vote_yes": "(voted helpful)", "vote_no": "(voted not helpful)", "insights": "Search insights",
    "chart_title": "Searches per day, last {n} days", "searches": "searches", "zero_result": "no result",
    "period": "Period", "days": "{n} days", "zero_result_rate": "Zero-result rate",
    "no_answer_rate": "No-answer rate",
    "click_through": "Click-through", "self_service_rate": "Self-service rate",
    "handover_rate": "Hand-over rate", "bot_answer_rate": "Bot answer rate", "top_queries": "Top queries",
    "content_gaps": "Content gaps (no result or no confident answer)",
    "most_not_helpful": "Articles voted “not helpful”", "handover_reasons": "Hand-over reasons",
    "question_suggestions": "Phrasings to add to articles", "query": "Query", "count": "Count",
    "clicks": "Clicks", "mean_position": "Mean click position", "no_confidence": "No confidence",
    "last_day": "Last seen", "article": "Article", "not_helpful_votes": "Not helpful",
    "helpful_votes": "Helpful", "reason": "Reason", "download_csv": "Download CSV",
    "no_data": "No data for this period yet.", "snippet_hint": "Paste into the article's front matter:",
    "back_to_console": "Back to the console"
})


def pick_lang() -> str:
    """The interface language for this request."""
    asked = request.args.get("lang", "")
    if asked in LANGS:
        return asked
    remembered = request.cookies.get(COOKIE, "")
    if remembered in LANGS:
        return remembered
    best = request.accept_languages.best_match(["zh", "zh-CN", "zh-TW", "en"], default="zh")
    return "en" if best == "en" else "zh"


def t(key: str, **values) -> str:
    """The message `key` in the current interface language."""
    lang = g.get("ui_lang", "zh")
    if key in SITE_KEYS:
        from web.site import current_site

        named = current_site().text(SITE_KEYS[key], lang)
        if named:
            return named
    messages = MESSAGES[lang]
    if values.get("n") == 1 and key + "_one" in messages:
        key += "_one"  # English singular; Chinese has no plural forms
    text = messages[key]
    return text.format(**values) if values else text


def language_switch_url() -> str:
    """This page in the other interface language."""
    other = MESSAGES[g.get("ui_lang", "zh")]["switch_lang_code"]
    if request.method != "GET":  # a form's answer page: go to where the form is
        return url_for("agent.console" if request.blueprint == "agent" else "helpcenter.home", lang=other)
    if request.endpoint and request.endpoint != "static":
        return url_for(request.endpoint, **{**(request.view_args or {}), **request.args.to_dict(),
                                            "lang": other})
    return "?lang=" + other  # an unknown URL: the same path


def init_app(app) -> None:
    @app.before_request
    def choose_language():
        g.ui_lang = pick_lang()

    @app.after_request
    def remember_language(response):
        asked = request.args.get("lang", "")
        if asked in LANGS and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                                secure=cookie_secure())
        return response

    app.jinja_env.globals.update(t=t, language_switch_url=language_switch_url)
