"""Word lists: the intent phrases of each question kind and the filler words around them.

Phrases are matched on normalised text: English ones on word boundaries, Chinese ones as
substrings. Every English word listed here is also "known" to the spelling corrector, so a
typo such as "bookd" or "avaliable" is mapped back to it.
"""
from __future__ import annotations

WHO = ("who", "whom", "whose", "who's", "whos", "who is", "who has", "booked by", "reserved by",
       "谁", "被谁", "哪位")
BOOKED = ("booked", "bookings", "booking", "reservations", "reservation", "reserved", "schedule",
          "agenda", "calendar", "using", "used by", "holds", "holding", "occupying",
          "预订情况", "预定情况", "预约情况", "使用情况", "订了", "预订了", "预定了", "预约了",
          "预订", "预定", "预约", "日程", "安排", "在用", "用了", "占用情况")
FREE = ("free", "available", "availability", "open", "vacant", "empty", "busy", "occupied",
        "taken", "unavailable", "in use", "grab", "can i use", "can we use", "can i book",
        "can we book", "can i get", "can we get", "anyone in", "anybody in", "someone in",
        "anyone using", "anybody using", "someone using", "could i use", "could we use",
        "may i use", "can i have", "can we have", "can i reserve", "can we reserve", "clear",
        "full", "any meeting", "any meetings", "a meeting in", "meeting in", "spare",
        "有空", "空吗", "空着", "空闲", "空的", "有人吗", "有人在", "有人用", "没人", "能用",
        "可以用", "可用", "被占", "占用", "闲着", "空会议室", "空房", "有位置", "空位", "忙吗",
        "能订", "可以订", "可订", "订得到", "用得了", "想订", "要订", "想用", "要用", "我订",
        "占着", "占了吗", "有人占", "空着没", "空没空", "空不空", "有没有人", "有人没", "有人不",
        "能不能用", "可不可以用", "能用不", "能不能订", "可不可以订", "让用吗", "在用吗", "在使用吗",
        "用着吗", "被用", "满了吗", "满吗", "闲吗", "忙不忙", "有会吗", "有会议吗", "开会吗",
        "有预订吗", "有预定吗", "被订了吗", "订了吗", "被预订", "被预定", "有人订吗", "订出去了",
        "有安排吗", "空出来", "能借", "借用", "book了吗", "被book", "booked吗", "free吗", "空吗")
FIND = ("find", "need", "needs", "looking for", "look for", "search", "recommend", "suggest",
        "get me", "book me", "any room", "any rooms", "a room", "some room", "which room",
        "which rooms", "what room", "what rooms", "where can", "free room", "free rooms",
        "available room", "available rooms", "empty room", "open room", "anywhere",
        "找", "需要", "推荐", "帮我订", "订一个", "订个", "哪个会议室", "哪些会议室", "哪间",
        "哪里有", "哪有", "有没有会议室", "有没有空", "有什么会议室")
NO_SHOWS = ("no show", "no shows", "no-show", "no-shows", "noshow", "noshows", "didn't show",
            "did not show", "didnt show", "not checked in", "didn't check in", "did not check in",
            "didnt check in", "didn't check-in", "did not check-in", "didn't checkin",
            "didnt checkin", "never checked in", "missed check in", "missed check-in",
            "missed checkin", "no check in", "no check-in", "no checkin", "without checking in",
            "never showed", "absent", "no one showed", "nobody showed", "no one came",
            "nobody came", "nobody turned up", "no one turned up", "didn't turn up",
            "didn't come", "never came", "never turned up", "ghost booking", "ghost bookings",
            "ghost meeting", "ghost meetings", "unused booking", "unused bookings",
            "booked but unused", "booked but not used", "booked and not used", "booked but empty",
            "wasted booking", "wasted bookings", "no check ins", "missed check ins",
            "auto released", "auto release", "auto releases", "released for no check in",
            "没签到", "未签到", "没有签到", "不签到", "爽约", "放鸽子", "没来", "没到场", "未到场",
            "占着不用", "订了不用", "订了没用", "订而不用", "订了没来", "订了不来", "占坑", "空占",
            "没人来", "没人去", "没去", "没有人来", "超时未签到", "超时没签到", "签到超时", "超时释放",
            "未签到被释放", "没签到被释放", "未签到释放", "没签到释放", "没使用", "未使用", "自动释放")
EARLY = ("early release", "early releases", "released early", "release early", "releases early",
         "ended early", "end early", "freed early", "left early", "finished early",
         "gave back early", "given back early", "returned early", "cut short", "back early",
         "released before the end", "released before end",
         "早退", "提前走", "提前释放", "提前结束", "提前退", "提前离开", "提前归还", "提前释放了",
         "提早释放", "提早结束", "提早走", "提前还", "提前交还", "中途释放", "中途离开", "提前退出")
REPORT = ("report", "reports", "digest", "summary", "insights", "stats", "日报", "报告", "报表",
          "汇总", "统计", "周报")
SUBSCRIBE = ("subscribe", "sub", "subscription to", "sign up", "订阅", "关注")
UNSUBSCRIBE = ("unsubscribe", "unsub", "cancel subscription", "cancel my subscription",
               "stop subscription", "stop the report", "stop report", "stop reports",
               "stop daily report", "stop the daily report", "stop digest", "stop the digest",
               "取消订阅", "退订", "不要再发", "停止订阅", "别再发",
               "stop weekly report", "stop the weekly report", "stop weekly digest",
               "stop the weekly digest", "取消周报", "停止周报", "取消日报", "停止日报")
# A digest's period: weekly ("订阅周报", "每周一 9点", "every Monday") or daily. RECURRING phrases
# make "每周五下午5点发周报" a subscription without the word "subscribe".
WEEKLY = ("weekly", "weekly report", "weekly digest", "weekly summary", "every week", "each week",
          "once a week", "周报", "每周", "每星期", "每个星期", "每礼拜", "每个礼拜")
DAILY = ("daily", "every day", "each day", "日报", "每天", "每日")
RECURRING = ("every week", "each week", "once a week", "every day", "each day", "每周", "每星期",
             "每个星期", "每礼拜", "每个礼拜", "每天", "每日")
RELEASE = ("release", "released", "releases", "releasing", "freed", "释放", "结束")
CANCEL = ("cancel", "stop", "取消", "停止")
LIST_SUBS = ("subscriptions", "my subscriptions", "list subscriptions", "show subscriptions",
             "what am i subscribed", "subscribed to", "我的订阅", "订阅列表", "查看订阅",
             "有哪些订阅", "订阅了什么", "订阅了哪些", "我订阅了")
HELP = ("help", "?", "usage", "commands", "command", "what can you do", "how to use",
        "how do i use", "how does this work", "menu", "guide", "instructions",
        "帮助", "怎么用", "如何使用", "使用说明", "你能做什么", "能做什么", "你会什么", "菜单",
        "说明", "指南", "教程", "功能")
GREETING = ("hi", "hello", "hey", "hiya", "yo", "howdy", "greetings", "good morning",
            "good afternoon", "good evening", "morning", "hi there", "hello there", "hey there",
            "你好", "您好", "嗨", "哈喽", "哈啰", "早上好", "下午好", "晚上好", "早安", "早",
            "在吗", "在不在", "喂", "大家好")
POLITE = ("please", "pls", "plz", "thanks", "thank you", "thx", "ty", "bot", "roombot",
          "请问", "请", "谢谢", "麻烦", "麻烦你", "劳驾", "帮忙", "帮我", "辛苦")

# Time words the grammar reads (bot/understand/timewords.py): known to the speller, never a name.
# Words for a building that name none in particular ("Tower B" is named by its "b").
EN_BUILDING_WORDS = ("tower", "towers", "bldg", "block", "blk", "wing", "campus")
EN_TIME_WORDS = ("asap", "eod", "cob", "weekend", "wknd", "within", "later", "couple", "few",
                 "first", "thing", "business", "close", "midnight", "lunchtime", "midday",
                 "quarter", "half", "past", "clock", "o'clock", "from", "until", "till", "tomorrow",
                 "today", "tonight", "day", "days", "moment", "immediately", "currently", "hrs",
                 "hr", "mins", "min", "minutes", "minute", "hours", "hour", "tues", "thurs",
                 "sept", "coming", "and")
ZH_TIME_WORDS = ("今天", "明天", "后天", "昨天", "前天", "大后天", "上午", "下午", "中午", "晚上",
                 "早上", "傍晚", "现在", "周末", "下周", "上周", "本周", "这周", "星期", "礼拜", "小时",
                 "分钟", "半小时", "一会", "以后", "之后", "以前", "之前", "下班", "今晚", "明早")

# Words that carry no room name: kept out of "unknown room" guesses and known to the speller.
EN_FILLER = frozenset(["a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "can", "could", "would", "will", "shall", "should", "may", "might", "must", "i", "me", "my", "we", "us", "our", "you", "your", "it", "its", "this", "that", "these", "those", "there", "here", "what", "which", "when", "where", "why", "how", "any", "anyone", "anybody", "anything", "some", "someone", "somebody", "something", "all", "every", "each", "no", "not", "none", "in", "on", "at", "to", "from", "for", "of", "by", "with", "about", "into", "onto", "until", "till", "til", "through", "between", "and", "or", "but", "if", "then", "than", "so", "just", "only", "also", "still", "yet", "right", "now", "please", "pls", "plz", "thanks", "thank", "thx", "hi", "hello", "hey", "ok", "okay", "book", "booked", "booking", "bookings", "reserve", "reserved", "reservation", "reservations", "use", "used", "using", "uses", "have", "has", "had", "hold", "holds", "holding", "take", "taken", "grab", "get", "got", "need", "want", "wanna", "looking", "look", "find", "search", "show", "tell", "check", "see", "know", "let", "give", "list", "free", "available", "availability", "open", "vacant", "empty", "busy", "occupied", "unavailable", "room", "rooms", "meeting", "meetings", "conference", "place", "space", "spot", "one", "ones", "people", "person", "persons", "ppl", "pax", "seats", "seat", "seater", "guests", "guest", "folks", "capacity", "least", "max", "minimum", "floor", "floors", "level", "building", "buildings", "report", "reports", "daily", "digest", "summary", "subscribe", "unsubscribe", "subscription", "subscriptions", "sub", "unsub", "early", "release", "releases", "released", "chat", "group", "time", "times", "day", "days", "week", "weeks", "hour", "hours", "minute", "minutes", "min", "mins", "people's", "whos", "who's", "whose", "who", "whom", "go", "going", "like", "would", "could", "kindly", "maybe", "quick", "quickly", "currently", "also", "anywhere", "somewhere", "inside", "today", "tomorrow", "yesterday", "tonight", "morning", "afternoon", "evening", "night", "noon", "lunch", "after", "before", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "next", "last", "coming", "past", "o'clock", "stats", "insights", "absent", "showed", "didn't", "didnt", "never", "ended", "end", "freed", "sign", "up", "stop", "cancel", "january", "february", "march", "april", "june", "july", "august", "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "tonight", "noon", "midday", "lunchtime", "half", "quarter", "past", "am", "pm", "tmrw", "tmr", "tdy", "yday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "right", "between", "around", "about"])
ZH_FILLER = (
    "请问", "麻烦你", "麻烦", "帮我看看", "帮我查查", "帮我查", "帮我找", "帮我", "帮忙", "看看", "看下",
    "看一下", "查一下", "查下", "查查", "一下", "查", "谁", "订了", "订的", "预订", "预定", "预约",
    "订", "用了", "在用", "使用", "用", "有人吗", "有人", "有空吗", "有空", "空吗", "空着吗",
    "空闲", "空着", "空", "有没有", "没有", "吗", "呢", "吧", "啊", "呀", "嘛", "的", "了", "是",
    "在", "被", "会议室", "会议", "房间", "能坐", "能", "坐", "可以", "有", "个", "找", "一个",
    "哪个", "哪些", "哪里", "哪间", "什么", "时候", "情况", "记录", "给", "我们", "我", "你", "他",
    "间", "开会", "要", "想", "需要", "还", "和", "都", "里", "人", "位", "请", "谢谢", "现在",
    "还是", "那个", "这个", "那", "这", "些", "下", "上", "中", "可", "容纳", "得", "多", "大",
)


def chinese_phrases(*groups: tuple[str, ...]) -> tuple[str, ...]:
    """Every phrase of some groups that starts with a Chinese character."""
    return tuple(p for group in groups for p in group if p and not p[0].isascii())


# What a leftover Chinese word is split on before it is guessed to be an unknown room name.
ZH_WORDS = ZH_FILLER + ZH_TIME_WORDS + chinese_phrases(
    WHO, BOOKED, FREE, FIND, NO_SHOWS, EARLY, REPORT, SUBSCRIBE, UNSUBSCRIBE, LIST_SUBS, HELP,
    GREETING, POLITE, RELEASE, CANCEL, WEEKLY, DAILY)


def english_words(*groups: tuple[str, ...]) -> frozenset[str]:
    """Every ASCII word used in some phrase groups."""
    return frozenset(w for group in groups for phrase in group for w in phrase.split()
                     if w.isascii() and w.isalpha())


KNOWN_EN = EN_FILLER | english_words(WHO, BOOKED, FREE, FIND, NO_SHOWS, EARLY, REPORT, SUBSCRIBE,
                                     UNSUBSCRIBE, LIST_SUBS, HELP, GREETING, POLITE, EN_TIME_WORDS,
                                     EN_BUILDING_WORDS, WEEKLY, DAILY)

# Usage questions (bot/answer/usage.py): utilisation, peak hours, idle rooms, right-sizing. The
# WEAK groups also ask "is it free" ("how busy is Oslo at 3", "现在哪些会议室没人用"), so they count
# only when no time of day and no head-count was said.
UTILISATION = ("utilisation", "utilization", "utilisations", "utilizations", "utilised",
               "utilized", "utilise", "utilize", "occupancy", "occupancy rate", "usage",
               "usage rate", "use rate", "usage report", "usage stats", "room usage",
               "most used", "most booked", "how heavily", "how often used",
               "使用率", "利用率", "占用率", "使用效率", "使用统计", "使用情况统计", "使用报告",
               "用得多", "用得最多", "订得最多", "最常用")
BUSY_WEAK = ("how busy", "busiest", "most busy", "多忙", "有多忙", "最忙", "繁忙")
PEAK = ("peak", "peaks", "peak hour", "peak hours", "peak time", "peak times", "busiest hour",
        "busiest hours", "busiest time", "busiest times", "busy hours", "busy times",
        "rush hour", "rush hours", "by hour", "hourly", "what time of day",
        "高峰", "高峰期", "高峰时段", "高峰时间", "最忙的时段", "最忙的时间", "什么时候最忙",
        "几点最忙", "哪个时段", "时段分布", "按小时", "每小时")
IDLE = ("never used", "never booked", "unused", "rarely used", "seldom used", "hardly used",
        "hardly ever used", "barely used", "idle rooms", "idle room", "rooms idle", "sit idle",
        "underused", "under used", "underutilised", "underutilized", "under utilised",
        "under utilized", "least used", "least booked", "nobody uses", "no one uses",
        "nobody used", "no one used", "nobody books", "no one books", "nobody booked",
        "no one booked",
        "闲置", "空置", "很少用", "很少人用", "不怎么用", "没怎么用", "用得少", "用得最少",
        "从来不用", "从没用过", "没用过", "没人订", "没有人订", "利用率低", "使用率低", "冷门")
IDLE_WEAK = ("idle", "not used", "没人用", "没有人用", "没被用", "没人使用")
SIZING = ("right size", "right sized", "right-size", "rightsize", "right sizing", "right-sizing",
          "rightsizing", "oversized", "over sized", "undersized", "under sized", "too big",
          "too large", "small meetings", "small meeting", "room size", "room sizes", "sizing",
          "capacity fit", "wasted seats", "empty seats", "seats wasted",
          "大小合适", "大小", "尺寸", "太大", "大材小用", "容量合适", "容量匹配", "人数匹配",
          "规模合适", "空座", "座位浪费", "浪费座位")
USAGE_GROUPS = (UTILISATION, BUSY_WEAK, PEAK, IDLE, IDLE_WEAK, SIZING)
USAGE_WORDS = ("big", "bigger", "large", "larger", "small", "smaller", "size", "sizes", "fit",
               "seats", "capacity", "hours", "utilisation", "rate")  # known, never a name
ZH_WORDS = ZH_WORDS + chinese_phrases(*USAGE_GROUPS)
KNOWN_EN = KNOWN_EN | english_words(*USAGE_GROUPS, USAGE_WORDS)
