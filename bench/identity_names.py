"""Name and place lists for bench/identity_gen.py, written for it (issue 16).

Frequency-weighted in the manner of FEBRL's and GeCo's look-up files: each list is in
rough order of how common the value is in Australia, and :func:`ranked` turns the order
into Zipf weights (weight ``1 / rank ** s``). The exponent says how concentrated a list
is: given names and surnames are steep (a few names are very common), suburbs flat.
Surnames have a long tail besides (:func:`tail_surnames`): real populations are mostly
carriers of rare names, and a short list alone would fill the data with namesakes.

Chinese names carry their simplified and traditional characters, Mandarin pinyin (one
syllable per character) and, for surnames, the Cantonese romanisation common in
Australia (陈 Chen / Chan, 黄 Huang / Wong). Characters whose reading depends on context
(曾, 单, 区, 乐 ...) are left out: the lists should not test a romaniser's dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass


def ranked(words: str, s: float) -> list[tuple[str, float]]:
    """Names from a comma-separated list, most common first, with Zipf weights."""
    names = [w.strip() for w in words.split(",") if w.strip()]
    return [(name, 1 / (rank**s)) for rank, name in enumerate(names, start=1)]


MALE_GIVEN = ranked(
    """John, David, Michael, Peter, Robert, Paul, Mark, Andrew, James, Stephen, Christopher,
    Daniel, Matthew, Anthony, Richard, William, Thomas, Ian, Brian, Gregory, Jason, Scott,
    Steven, Kevin, Craig, Wayne, Graham, Gary, Geoffrey, Timothy, Benjamin, Joshua, Ryan,
    Luke, Nathan, Adam, Shane, Brett, Darren, Glenn, Trevor, Kenneth, Raymond, Barry, Alan,
    Keith, Ronald, Donald, Colin, Neil, Russell, Philip, Simon, Dean, Troy, Bradley, Jack,
    Oliver, Noah, Lachlan, Liam, Ethan, Samuel, Alexander, Harrison, Cooper, Jacob, Lucas,
    Mason, Charlie, Jayden, Riley, Dylan, Mitchell, Jordan, Tyler, Kyle, Aaron, Sean,
    Patrick, Joseph, Edward, Charles, George, Henry, Frank, Arthur, Harold, Leslie, Norman,
    Stanley, Douglas, Gordon, Bruce, Malcolm, Hugh, Angus, Hamish, Callum, Connor, Declan,
    Jake, Max, Leo, Hudson, Archie, Oscar, Isaac, Harry, Flynn, Toby, Zachary, Blake,
    Jarrod, Marcus, Nicholas, Jonathan, Vincent, Dominic, Giuseppe, Antonio, Giovanni,
    Konstantinos, Nikolaos, Dimitrios, Minh, Tuan, Rajesh, Amit, Mohammed, Ahmed, Ali,
    Lawrence, Gerald, Victor, Frederick, Albert, Francis, Terence, Dennis, Allan, Murray""",
    0.9,
)

FEMALE_GIVEN = ranked(
    """Margaret, Susan, Patricia, Jennifer, Elizabeth, Mary, Karen, Michelle, Sarah, Lisa,
    Julie, Helen, Christine, Jessica, Emma, Rebecca, Nicole, Kylie, Melissa, Amanda,
    Catherine, Kathleen, Barbara, Dorothy, Joan, Jean, Betty, Shirley, Judith, Carol, Robyn,
    Jane, Janet, Lynette, Wendy, Kerry, Deborah, Sharon, Joanne, Tracey, Leanne, Natalie,
    Belinda, Rachel, Kristy, Danielle, Samantha, Stephanie, Hannah, Chloe, Olivia,
    Charlotte, Amelia, Isla, Mia, Ava, Grace, Sophie, Ella, Emily, Ruby, Zoe, Lily, Matilda,
    Isabella, Chelsea, Georgia, Madison, Jasmine, Alyssa, Tahlia, Brooke, Courtney, Caitlin,
    Lauren, Amy, Laura, Anna, Kate, Katherine, Victoria, Alexandra, Jacqueline, Frances,
    Josephine, Maria, Rosa, Angela, Anne, Gail, Heather, Pamela, Denise, Linda, Gloria,
    Irene, Marjorie, Valerie, Beverley, Noelene, Dianne, Rhonda, Vicki, Bronwyn, Fiona,
    Alison, Kimberley, Tanya, Sonia, Nadia, Priya, Fatima, Linh, Mai, Hoa, Giulia, Eleni,
    Sophia, Rosemary, Gwendolyn, Maureen, Elaine, Lorraine, Cheryl, Jillian, Marion""",
    0.9,
)

# Short forms people go by, and the formal name they stand for (both directions are used).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy", "Liam"),
    "Robert": ("Bob", "Rob", "Bobby"),
    "Richard": ("Rick", "Dick", "Richie"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"),
    "Michael": ("Mike", "Mick", "Mickey"),
    "Christopher": ("Chris",),
    "Anthony": ("Tony",),
    "Thomas": ("Tom", "Tommy"),
    "Joseph": ("Joe",),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Andrew": ("Andy", "Drew"),
    "Alexander": ("Alex", "Xander"),
    "Benjamin": ("Ben",),
    "Samuel": ("Sam",),
    "Nicholas": ("Nick",),
    "Jonathan": ("Jon",),
    "Stephen": ("Steve",),
    "Steven": ("Steve",),
    "Edward": ("Ed", "Ted", "Eddie"),
    "Charles": ("Charlie", "Chuck"),
    "Peter": ("Pete",),
    "David": ("Dave",),
    "Gregory": ("Greg",),
    "Timothy": ("Tim",),
    "Kenneth": ("Ken",),
    "Ronald": ("Ron",),
    "Donald": ("Don",),
    "Gerald": ("Gerry",),
    "Lawrence": ("Larry", "Laurie"),
    "Frederick": ("Fred",),
    "Albert": ("Bert",),
    "Francis": ("Frank",),
    "Terence": ("Terry",),
    "Zachary": ("Zac",),
    "Raymond": ("Ray",),
    "Geoffrey": ("Geoff",),
    "Bradley": ("Brad",),
    "Douglas": ("Doug",),
    "Konstantinos": ("Con", "Costa"),
    "Giuseppe": ("Joe",),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Elizabeth": ("Liz", "Beth", "Betty", "Eliza"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Cathy", "Cate"),
    "Kathleen": ("Kath",),
    "Jennifer": ("Jen", "Jenny"),
    "Patricia": ("Pat", "Trish"),
    "Susan": ("Sue", "Suzy"),
    "Deborah": ("Deb", "Debbie"),
    "Rebecca": ("Becky", "Bec"),
    "Jessica": ("Jess",),
    "Samantha": ("Sam",),
    "Christine": ("Chris",),
    "Kimberley": ("Kim",),
    "Natalie": ("Nat",),
    "Jacqueline": ("Jacqui",),
    "Barbara": ("Barb",),
    "Dorothy": ("Dot", "Dottie"),
    "Frances": ("Fran",),
    "Josephine": ("Jo", "Josie"),
    "Victoria": ("Vicky", "Tori"),
    "Alexandra": ("Alex", "Sandra"),
    "Stephanie": ("Steph",),
    "Isabella": ("Bella", "Izzy"),
    "Gwendolyn": ("Gwen",),
    "Jillian": ("Jill",),
    "Pamela": ("Pam",),
    "Valerie": ("Val",),
    "Judith": ("Judy",),
    "Charlotte": ("Lottie",),
    "Matilda": ("Tilly",),
}

SURNAMES = ranked(
    """Smith, Jones, Williams, Brown, Wilson, Taylor, Nguyen, Johnson, Martin, White,
    Anderson, Walker, Thompson, Thomas, Ryan, Lee, Harris, Robinson, Kelly, King, Campbell,
    Clarke, Wright, Mitchell, Young, Roberts, Davis, Hall, Evans, Green, Hughes, Scott,
    Jackson, Turner, Edwards, Cooper, Murphy, Hill, Wood, Singh, Baker, Moore, Lewis, Morris,
    Stewart, Miller, Allen, Ward, Bell, Murray, James, Watson, Kennedy, Patel, Tran,
    Collins, Graham, Russell, Johnston, McDonald, Harrison, Morgan, O'Brien, Parker,
    Phillips, Shaw, Marshall, Gray, Hunt, Cook, Carter, Lloyd, Reid, Bailey, Richardson,
    Ross, Fraser, Chapman, Hamilton, Simpson, Ellis, Webb, Price, Cox, Holmes, Walsh,
    Sullivan, Byrne, Doyle, O'Connor, Burns, Dunn, Fisher, Pearce, Stevens, Jenkins, Black,
    Lynch, Barnes, Rogers, Butler, Spencer, Hayes, Grant, Knight, Mills, Palmer, Matthews,
    Wallace, Quinn, Barker, Payne, Dixon, Gibson, Hart, Mason, Fletcher, Kaur, Kumar,
    Sharma, Le, Pham, Huynh, Hoang, Russo, Rossi, Romano, Esposito, Ricci, Papadopoulos,
    Nikolaidis, Georgiou, Khoury, Haddad, Ahmed, Khan, Hussain, Costa, Silva, Fernandes,
    Müller, Schmidt, Bauer, Novak, Kowalski, Jovanovic, Petrovic, MacKenzie, McLeod,
    Fitzgerald, Donnelly, Gallagher, Henderson, Crawford, Sinclair, Hutchinson, Bennett""",
    0.8,
)

# The long tail: English toponymic surnames built from parts (Ashford, Whitmore, Kingsley).
_TAIL_HEADS = """Ash, Brad, Brook, Cart, Craw, Dar, Elling, Fair, Gold, Green, Hal, Hart, Hay,
    Kings, Lang, Lock, Mar, Mid, Mor, Nor, Oak, Pem, Ray, Red, Ros, Rut, Sel, Shel, Stan,
    Stock, Thorn, Wal, Wat, West, Whit, Win, Yar, Bar, Cal, Dun, Ever, Fen, Gar, Hol, Kel,
    Mel, Pen, Sand, Sher, Ald, Bram, Chad, Dray, Ed, Farn, Grim, Hask, Ing, Lan, Marl"""
_TAIL_ENDS = """ford, ley, ton, wood, well, field, by, worth, more, ham, ridge, stone, bury,
    combe, dale, shaw, land, wick, ington, ell, ett, house, croft, ock, son, hurst, brook"""


def tail_surnames() -> list[str]:
    heads = [w.strip() for w in _TAIL_HEADS.split(",")]
    ends = [w.strip() for w in _TAIL_ENDS.split(",")]
    return sorted({h + e for h in heads for e in ends})


@dataclass(frozen=True, slots=True)
class HanName:
    """One part of a Chinese name: characters (simplified, traditional), pinyin syllables,
    sex it is usual for (given names), Cantonese romanisation (surnames)."""

    simplified: str
    traditional: str
    pinyin: tuple[str, ...]
    weight: float
    sex: str = ""
    cantonese: str = ""


def _han(rows: str, given: bool) -> list[HanName]:
    out = []
    for line in rows.strip().splitlines():
        parts = line.split()
        if given:
            simp, trad, syllables, sex, weight = parts
            out.append(HanName(simp, trad, tuple(syllables.split("-")), float(weight), sex))
        else:
            simp, trad, syllable, canto, weight = parts
            out.append(HanName(simp, trad, (syllable,), float(weight), cantonese=canto))
    return out


# simplified traditional pinyin cantonese weight (share of the population, per cent)
CHINESE_SURNAMES = _han(
    """
王 王 wang Wong 7.1
李 李 li Lee 7.4
张 張 zhang Cheung 6.8
刘 劉 liu Lau 5.4
陈 陳 chen Chan 4.5
杨 楊 yang Yeung 3.1
黄 黃 huang Wong 2.2
赵 趙 zhao Chiu 2.0
吴 吳 wu Ng 1.9
周 周 zhou Chow 1.9
徐 徐 xu Tsui 1.5
孙 孫 sun Suen 1.5
马 馬 ma Ma 1.4
朱 朱 zhu Chu 1.3
胡 胡 hu Wu 1.3
郭 郭 guo Kwok 1.1
何 何 he Ho 1.1
林 林 lin Lam 1.0
罗 羅 luo Law 0.9
高 高 gao Ko 0.9
梁 梁 liang Leung 0.8
郑 鄭 zheng Cheng 0.8
谢 謝 xie Tse 0.7
宋 宋 song Sung 0.6
唐 唐 tang Tong 0.6
韩 韓 han Hon 0.6
冯 馮 feng Fung 0.5
邓 鄧 deng Tang 0.5
曹 曹 cao Tso 0.5
叶 葉 ye Yip 0.4
""",
    given=False,
)

# simplified traditional pinyin sex weight
CHINESE_GIVEN = _han(
    """
伟 偉 wei M 9
芳 芳 fang F 8
娜 娜 na F 6
敏 敏 min F 6
静 靜 jing F 6
丽 麗 li F 5
强 強 qiang M 5
磊 磊 lei M 5
军 軍 jun M 5
洋 洋 yang M 4
勇 勇 yong M 4
艳 艷 yan F 4
杰 傑 jie M 4
娟 娟 juan F 4
涛 濤 tao M 4
明 明 ming M 4
超 超 chao M 3
秀英 秀英 xiu-ying F 3
霞 霞 xia F 3
平 平 ping F 3
刚 剛 gang M 3
桂英 桂英 gui-ying F 3
华 華 hua M 3
建国 建國 jian-guo M 2
小明 小明 xiao-ming M 2
子涵 子涵 zi-han F 2
欣怡 欣怡 xin-yi F 2
浩然 浩然 hao-ran M 2
宇轩 宇軒 yu-xuan M 2
梓萱 梓萱 zi-xuan F 2
俊杰 俊傑 jun-jie M 2
嘉怡 嘉怡 jia-yi F 2
志强 志強 zhi-qiang M 2
海燕 海燕 hai-yan F 2
晓东 曉東 xiao-dong M 2
文博 文博 wen-bo M 1
雨婷 雨婷 yu-ting F 1
思远 思遠 si-yuan M 1
丹 丹 dan F 1
玲 玲 ling F 1
婷婷 婷婷 ting-ting F 1
晓燕 曉燕 xiao-yan F 1
建华 建華 jian-hua M 1
国强 國強 guo-qiang M 1
雪 雪 xue F 1
佳 佳 jia F 1
鹏 鵬 peng M 1
辉 輝 hui M 1
斌 斌 bin M 1
鑫 鑫 xin M 1
""",
    given=True,
)

# English names Chinese Australians often go by beside their Chinese one.
CHINESE_ENGLISH_GIVEN = {
    "M": ["David", "Michael", "Kevin", "Jason", "Tony", "Eric", "Vincent", "Peter", "Andy"],
    "F": ["Jenny", "Grace", "Amy", "Cindy", "Helen", "Michelle", "Annie", "Lily", "Vivian"],
}

# (suburb, state, postcode), most populous first.
SUBURBS: list[tuple[str, str, str]] = [
    (s.strip(), st, pc)
    for s, st, pc in (
        row.rsplit(" ", 2)
        for row in """Sydney NSW 2000
Melbourne VIC 3000
Brisbane QLD 4000
Perth WA 6000
Adelaide SA 5000
Parramatta NSW 2150
Blacktown NSW 2148
Box Hill VIC 3128
Glen Waverley VIC 3150
Liverpool NSW 2170
Penrith NSW 2750
Chatswood NSW 2067
Sunnybank QLD 4109
Hurstville NSW 2220
Bankstown NSW 2200
Castle Hill NSW 2154
Doncaster VIC 3108
Clayton VIC 3168
Footscray VIC 3011
Southport QLD 4215
Canberra ACT 2601
Hobart TAS 7000
Darwin NT 0800
Geelong VIC 3220
Newcastle NSW 2300
Wollongong NSW 2500
Hornsby NSW 2077
Randwick NSW 2031
Kingsford NSW 2032
Campsie NSW 2194
Auburn NSW 2144
Strathfield NSW 2135
Burwood NSW 2134
Ryde NSW 2112
Epping NSW 2121
Eastwood NSW 2122
Cabramatta NSW 2166
Fairfield NSW 2165
Manly NSW 2095
Newtown NSW 2042
Marrickville NSW 2204
Cronulla NSW 2230
St Kilda VIC 3182
Richmond VIC 3121
Brunswick VIC 3056
Frankston VIC 3199
Dandenong VIC 3175
Werribee VIC 3030
Sunshine VIC 3020
Hawthorn VIC 3122
Camberwell VIC 3124
Preston VIC 3072
Reservoir VIC 3073
Craigieburn VIC 3064
Toowong QLD 4066
Indooroopilly QLD 4068
Chermside QLD 4032
Logan Central QLD 4114
Ipswich QLD 4305
Surfers Paradise QLD 4217
Toowoomba QLD 4350
Cairns QLD 4870
Townsville QLD 4810
Mackay QLD 4740
Rockhampton QLD 4700
Maroochydore QLD 4558
Fremantle WA 6160
Joondalup WA 6027
Rockingham WA 6168
Mandurah WA 6210
Subiaco WA 6008
Cannington WA 6107
Bunbury WA 6230
Glenelg SA 5045
Salisbury SA 5108
Elizabeth SA 5112
Norwood SA 5067
Mount Gambier SA 5290
Launceston TAS 7250
Devonport TAS 7310
Belconnen ACT 2617
Gungahlin ACT 2912
Palmerston NT 0830
Alice Springs NT 0870
Ballarat VIC 3350
Bendigo VIC 3550
Shepparton VIC 3630
Gosford NSW 2250
Maitland NSW 2320
Wagga Wagga NSW 2650
Dubbo NSW 2830
Orange NSW 2800
Tamworth NSW 2340
Albury NSW 2640
Coffs Harbour NSW 2450
Port Macquarie NSW 2444
Lismore NSW 2480
Bathurst NSW 2795
Goulburn NSW 2580
Bundaberg QLD 4670""".splitlines()
    )
]
SUBURB_WEIGHTS = [w for _, w in ranked(",".join(s for s, _, _ in SUBURBS), 0.5)]

AREA_CODES = {"NSW": "02", "ACT": "02", "VIC": "03", "TAS": "03", "QLD": "07", "SA": "08",
              "WA": "08", "NT": "08"}  # fmt: skip

STREET_NAMES = ranked(
    """Church, High, Main, Station, Park, Railway, George, King, Queen, Victoria, Albert,
    Elizabeth, William, Edward, Bridge, Hill, Mill, Market, Pitt, Oxford, Regent, Princes,
    Pacific, Hume, Stirling, Bourke, Collins, Flinders, Swanston, Lonsdale, Chapel,
    Wellington, Nelson, Darling, Macquarie, Hunter, Brunswick, Canterbury, Riverside, Beach,
    Ocean, Bay, Lake, Forest, Wattle, Banksia, Acacia, Jacaranda, Waratah, Grevillea,
    Boronia, Myrtle, Kurrajong, Oak, Elm, Cedar, Pine, Maple, Ash, Rose, Violet, Lavender,
    Jasmine, Camellia, Orchid, Sunset, Hillcrest, Ridge, Valley, Spring, Green, Grove,
    Meadow, Heather, Fern, Ivy, Laurel, Willow, Poplar, Anzac, Federation, Jubilee,
    Coronation, Endeavour, Cook, Banks, Phillip, Bligh, Hovell, Sturt, Mitchell, Kennedy,
    Leichhardt, Forrest, Lawson, Wentworth, Blaxland, Paterson, Bradman, Melba, Lachlan,
    Murray, Darling Downs, Blue Gum, Orange Grove, Pennant Hills, Old Northern, Great
    Western, Mount Pleasant, St Georges, St Johns, Bay View, Kings Park""",
    0.6,
)

# (full, abbreviation, weight): how often each street type occurs.
STREET_TYPES: list[tuple[str, str, float]] = [
    ("Street", "St", 35),
    ("Road", "Rd", 20),
    ("Avenue", "Ave", 12),
    ("Drive", "Dr", 8),
    ("Crescent", "Cres", 6),
    ("Place", "Pl", 5),
    ("Court", "Ct", 5),
    ("Parade", "Pde", 3),
    ("Close", "Cl", 3),
    ("Way", "Wy", 3),
    ("Lane", "Ln", 2),
    ("Terrace", "Tce", 2),
    ("Circuit", "Cct", 2),
    ("Grove", "Gr", 2),
    ("Highway", "Hwy", 1),
    ("Boulevard", "Blvd", 1),
]

EMAIL_DOMAINS = ranked(
    """gmail.com, hotmail.com, bigpond.com, outlook.com, yahoo.com.au, icloud.com,
    optusnet.com.au, live.com.au, tpg.com.au, iinet.net.au, internode.on.net""",
    1.0,
)
WORK_DOMAINS = ["health.nsw.gov.au", "education.vic.gov.au", "anz.com", "telstra.com",
                "bhp.com", "woolworths.com.au", "unimelb.edu.au", "qld.gov.au"]  # fmt: skip

# Names a clerk types when the customer gave none (or the form had no better field).
PLACEHOLDER_NAMES = ["Respondent", "Man Of The House", "Lady Of The House", "Occupant",
                     "The Resident", "Unknown", "Customer", "Account Holder"]  # fmt: skip
