"""Name pools for the generated tenant: rooms, buildings, people, departments, meeting topics."""
from __future__ import annotations

MOUNTAINS = (
    "泰山", "华山", "峨眉山", "黄山", "庐山", "衡山", "嵩山", "武当山", "雁荡山", "长白山",
    "天山", "昆仑", "玉龙雪山", "梅里雪山", "珠峰", "五台山", "九华山", "普陀山", "武夷山", "张家界",
)
PLANETS = (
    "Venus 金星", "Mars 火星", "Saturn 土星", "Uranus 天王星", "Neptune 海王星", "Pluto 冥王星",
    "Earth 地球", "Luna 月球", "Titan", "Europa", "Ganymede", "Callisto", "Io", "Ceres",
)
CITIES = (
    "Paris", "Tokyo", "Berlin", "Lisbon", "Cairo", "Sydney", "Toronto", "Seoul", "Dublin", "Madrid",
    "Vienna", "Prague", "Helsinki", "Stockholm", "Reykjavik", "Nairobi", "Lima", "Hanoi", "Rome",
    "杭州", "成都", "苏州", "西安", "厦门", "大理", "丽江", "青岛", "桂林", "敦煌", "拉萨", "重庆",
)
RIVERS_AND_FLOWERS = (
    "长江", "黄河", "漓江", "珠江", "牡丹", "茉莉", "兰花", "海棠", "丁香", "紫藤", "Maple", "Cedar",
    "Willow", "Orchid", "Lotus 莲", "Bamboo 竹", "Aurora", "Horizon", "Nebula", "Galaxy 银河",
)
ROOM_THEMES = MOUNTAINS + PLANETS + CITIES + RIVERS_AND_FLOWERS

BUILDINGS = (
    "A座", "Tower B", "C栋", "Innovation Hub", "D座", "West Wing", "E栋", "North Campus 北园",
    "F座", "Harbour House", "G栋", "Sky Tower 天空塔", "H座", "Lakeside 湖畔", "J栋", "Garden 花园楼",
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "子涵", "欣怡", "梓萱", "思远", "浩然", "宇轩", "雨桐",
    "一诺", "晨阳", "佳怡", "嘉豪", "俊杰", "诗涵", "博文", "天佑", "若曦", "可馨", "志强",
)
FIRST_NAMES = (
    "Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Ivy", "Jack", "Kate",
    "Leo", "Mia", "Noah", "Olivia", "Paul", "Quinn", "Ruby", "Sam", "Tina", "Uma", "Victor",
    "Wendy", "Xavier", "Yuki", "Zoe", "Kehan", "Lucas", "Sofia", "Ethan",
)
LAST_NAMES = (
    "Smith", "Chen", "Wang", "Johnson", "Li", "Brown", "Zhang", "Garcia", "Miller", "Liu", "Davis",
    "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Lee", "Tanaka", "Kim",
)
DEPARTMENTS = (
    "研发部", "产品部", "设计部", "市场部", "销售部", "人力资源部", "财务部", "法务部", "运营部",
    "Engineering", "Product", "Design", "Sales", "Marketing", "Customer Success", "Finance",
)

TOPICS = (
    "周会", "产品评审", "技术方案评审", "需求讨论", "招聘面试", "客户沟通", "季度复盘", "技术分享",
    "项目启动会", "预算讨论", "1:1", "Sprint planning", "Design review", "Retro", "Customer call",
    "Interview", "Budget review", "All hands prep", "Roadmap sync", "Brainstorm", "Onboarding",
    "OKR 对齐", "Code review", "Vendor meeting", "团队建设讨论", "架构评审",
)
SERIES_TOPICS = ("Daily standup", "每日站会", "Team sync", "组内晨会", "Weekly 1:1", "项目同步会")

DEVICES = ("电视", "白板", "视频会议终端", "投影仪", "电话会议机", "飞书会议室 Rooms")
