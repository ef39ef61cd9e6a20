"""Every rule of the complaint classifier, as data: cue phrases, actors, flags, VADER edits.

Categories follow the labelling codebook (bedside_manner = the clinician's conduct,
service = the practice's operations and non-clinician staff, clinical_skill = competence of care).
Cues are regular-expression fragments matched case-insensitively on the original text, grouped
by kind:

* ``FIXED_CUES``: complaint phrases that name their category on their own ("misdiagnosed",
  "waited two hours", "billing"); they fire unless a negator precedes them ("never had to wait").
* ``CONDUCT_CUES``: how a person treated the patient ("rude", "condescending"); the category
  depends on who did it: bedside_manner for the physician, service for staff (``ACTORS``).
  ``COMPETENCE_CUES`` likewise: clinical_skill for the physician, service for staff.
  Bedside-manner ``FIXED_CUES`` also follow the actor ("the nurse never listened" is service).
* ``NEGATED_CUES``: positive qualities that become complaints when negated ("not caring",
  "didn't explain", "doesn't know what he is doing").
* ``ASPECT_STRONG``/``ASPECT_WEAK``: neutral topic words ("the front desk", "his bedside manner")
  that count only where the sentence's sentiment says it is a complaint.

``HARM_SEVERE``/``HARM_OUTCOME``/``LEGAL``/``PHI`` are the flag cues. ``VADER_ADDITIONS`` adds
opinion words that VADER lacks; ``VADER_NEUTRAL`` zeroes words that in medical text name a
condition, not an opinion; ``CLINICAL_RESULT`` finds test-result phrases ("came back negative")
to hide from VADER; ``PRAISE_IDIOMS`` read as praise ("couldn't be happier");
``VERDICT_POSITIVE``/``VERDICT_NEGATIVE`` move a whole review's score and give the sentence
holding them their sign ("Don't waste your time" is no praise); sentences about
``OTHER_PROVIDER`` count less, and so do negative sentences that only tell of illness
(``CONDITION_WORDS``) without a complaint cue.

How the rules were made: from the codebook's definitions and common complaint phrasing, checked
by error analysis on the dev labels (which therefore overstate held-out accuracy). The numeric
weights of the sentiment combination (reputation/classifier/sentiment.py) were chosen on the
Healthgrades and rmd15 parts of the corpus by their star ratings. The verdict phrases added in
rules-4 came from mistakes on one half of the RateMDs part (bench/sentiment_eval.py --half tune),
where the text-only threshold and the weight of the NHS-trained model
(reputation/classifier/bagofwords.py) were also chosen; the other half is only scored. No text
of the corpus or labels is copied.
Since model-1 every cue must match at least 5 of the 51,627 corpus reviews, or be a general
phrase listed with a reason in ``RARE_BUT_GENERAL`` (tests/test_lexicon.py): a cue that only
one review uses was fitted to that review.
"""

from __future__ import annotations

# The complaint categories of the codebook; every module that names them imports this.

# Cue lists are packed several to a line, to read as word lists.
# fmt: off

# Negators that flip a cue; "n't" covers didn't/wasn't/doesn't and their apostrophe-less forms.
NEGATOR = (
    r"(?:\b(?:not|never|no|without|nor|hardly|barely|dont|didnt|doesnt|wasnt|isnt|wont|cant"
    r"|couldnt|wouldnt|lack(?:s|ed|ing)?|zero)\b|n['’]t\b)"
)
# A negator in this window before a cue cancels it ("never had to wait", "not rude at all").
NEGATION_BEFORE = NEGATOR + r"(?:\W+\w+){0,3}\W*$"
# ...unless it is part of an idiom that keeps the complaint ("not only rude but ...").
NEGATION_EXCEPTIONS = (
    r"\b(?:not only|not just|no wonder|no matter|not to mention|never again"
    r"|never (?:\w+ ){0,2}(?:more|so|such|as)|(?:not|never) even)\b"
)
# Idioms that keep a negated quality from being a complaint ("not only kind but ...").
NEGATED_EXCEPTIONS = r"\b(?:not only|not just|no wonder|no matter|not to mention|never again)\b"
# Words between a negator and a positive quality that turn it into praise ("couldn't be more kind").
PRAISE_GAP = r"\b(?:more|better|enough|say|ask|happier|wait|recommend|regret|imagine)\b"
# ...or that end the negation's scope ("did not rush me and explained everything").
SCOPE_END = r"\b(?:and|but|then|so|because|although)\b|[,;:.!?]"

# Who is the subject of a conduct cue: the physician, a staff member, or the place (a weak hint
# used only when no person is named nearby). he/she/his/her take the side of the last person
# named in the same or the previous sentence, else the physician (the one being reviewed).
ACTORS: dict[str, str] = {
    "physician": (
        r"\b(?:dr|doctor|doc|physician|surgeon|specialist|dentist|md|np|pa|practitioner"
        r"|nurse practitioner|psychiatrist|psychologist|therapist|chiropractor|neurologist"
        r"|cardiologist|dermatologist|gyn|obgyn|ob|pediatrician|oncologist|urologist"
        r"|orthopedist|allergist|gastroenterologist|endocrinologist|rheumatologist|podiatrist"
        r"|internist|anesthesiologist|radiologist|resident|attending|provider|gp)s?\b"
    ),
    "staff": (
        r"\b(?:staff|staffs|nurses?|receptionists?|front[- ]desk|secretar(?:y|ies)|assistants?"
        r"|ma|mas|office manager|manager|employees?|schedulers?|clerks?|technicians?|techs?"
        r"|girls|ladies|lady|administrator|admin|phlebotomist|aides?|they|them|their|coordinators?"
        r"|(?:person|woman|man|guy|girl|lady|someone|people) (?:on the phone|at the (?:front )?desk"
        r"|at the window|who answered|at the counter))\b"
    ),
    "place": (
        r"\b(?:(?<!his )(?<!her )office|front office|billing(?: department| office)?|hospital"
        r"|clinic|practice|team|center|centre|place|facility)\b"
    ),
    "pronoun": r"\b(?:he|she|him|her|his|hers|himself|herself)\b",
}
# Actor kinds that are people (a pronoun can refer to them).
PERSON_ACTORS = ("physician", "staff")

# Conduct words: bedside_manner for the physician, service for staff. ("unprofessional" is not
# one: it names no conduct, and reviewers use it as often for the practice as for the doctor.)
CONDUCT_CUES: tuple[str, ...] = (
    r"rude(?:ly|ness)?", r"condescending", r"arrogan(?:t|ce)",
    r"dismissive", r"brush(?:ed|es)? (?:me|us|my \w+|it) off", r"brushed off", r"impatient",
    r"uncaring", r"insensitive", r"disrespect(?:ful|ed)?", r"belittl(?:ed|ing|es)",
    r"patroniz(?:ing|ed)", r"nasty", r"(?<!i )mean(?:-spirited)?(?= to| and|\.|,|!)", r"hostile",
    r"yell(?:ed|ing|s)?(?: at)?", r"scream(?:ed|ing)? at", r"snapp(?:ed|y)(?: at)?",
    r"(?:bad|terrible|horrible|poor|nasty|awful|rotten|snotty|negative) attitude",
    r"(?<!a )(?<!the )cold(?! (?:room|office|exam|and flu|symptoms|sore|hands))", r"smug",
    r"abrasive", r"abrupt", r"curt", r"short with (?:me|us)", r"snotty", r"snobb(?:y|ish)",
    r"unfriendly", r"impolite", r"unpleasant", r"unkind", r"callous", r"heartless", r"indifferent",
    r"judgm?ental", r"demeaning", r"degrading", r"humiliat(?:ed|ing)", r"insult(?:ed|ing)",
    r"sarcastic", r"talk(?:ed|s)? down to", r"laughed at", r"rolled (?:his|her|their) eyes",
    r"made (?:me|us|my \w+) feel (?:stupid|dumb|like an? \w+)",
    r"treated (?:me|us|my \w+) like (?:a|an|dirt|garbage|crap|trash|a number|\w+ idiot)",
    r"unhelpful", r"ignored (?:me|us|my)", r"lack of (?:compassion|empathy|respect|caring)",
    r"(?:no|zero) (?:compassion|empathy|respect|manners|people skills|personality)",
    r"bully(?:ing)?",
    r"inappropriate(?: comments?| remarks?)?", r"offensive", r"creepy", r"racist", r"sexist",
    r"argumentative", r"defensive", r"lectur(?:ed|ing)", r"scolded", r"accus(?:ed|ing) me",
    r"talk(?:ed|s|ing)? over (?:me|us)", r"hung up on (?:me|us)",
    r"bl[oe]w(?:s|n)? (?:me|us|you|my \w+) off", r"judg(?:es|ed|ing) (?:me|us|you)",
    r"treat(?:s|ed)? (?:me|us|you|her|him|them|patients|people|my \w+) (?:very )?(?:like|as if"
    r"|bad|badly|poorly|horribly|terribly|with contempt|rudely)",
    r"(?:cares?|caring|interested) (?:more )?(?:about|in) (?:the |making )?money",
    r"money[- ](?:hungry|grubbing|driven|oriented)", r"all about (?:the )?(?:money|business)",
    r"in it for the money", r"burn(?:ed|t)[- ]?out", r"lack of (?:help|compassion|care)",
    r"condescendingly",
    r"(?:was|were|am|are|being|get|got|felt) treated (?:like|as if|badly|poorly|horribly"
    r"|terribly|rudely)",
    r"ignor(?:ed|es|ing) (?:me|us|my|our|you|patients|her|him|what)",
    r"(?:speaks?|talks?|talked|spoke|treats?|treated) (?:to )?(?:you|me|us|patients) (?:as if"
    r"|like) (?:you|i|we|they)(?: are| were| was|'re|'m)? (?:a |an )?(?:\w+ )?(?:child|kid|idiot"
    r"|moron|liar|drug (?:seeker|addict)|addict|criminal|stupid|dumb)",
    r"froide?",
    r"cocky", r"pompous", r"egotistical",
    r"narcissis\w*", r"full of (?:him|her)self", r"lack of (?:sensitivity|concern|interest|tact)",
    r"(?:very|so|too) (?:short|quick) with (?:me|us)", r"annoy(?:ed|ance)", r"irritated",
    r"(?:could|couldn't) care less", r"only (?:cares?|interested) (?:about|in) (?:money|the money)",
    r"(?:told|tells|telling) (?:me|us|her|him) (?:to |that (?:i|we|she|he) (?:should|need to"
    r"|had to|have to) )?(?:just )?(?:suck (?:it )?up|deal with it|live with it|get over it)",
)

# Competence words: clinical_skill for the physician, service for staff ("the staff is clueless").
COMPETENCE_CUES: tuple[str, ...] = (
    r"incompeten(?:t|ce|tly)", r"inept", r"clueless", r"(?:no|not a) clue", r"uneducated",
    r"untrained", r"unqualified",
    r"(?:no|lack of|limited|zero|low|poor|little) (?:levels? of )?(?:medical )?knowledge",
    r"incomp[ée]tente?",
    r"(?:made|makes|making) (?:a |many |several |so many )?(?:\w+ )?(?:mistakes?|errors?)",
    r"mistakes?", r"errors?", r"out-?dated", r"old[- ]fashion(?:ed)?",
    r"(?:doesn't|does not|didn't|did not|don't) (?:really |even |seem to )?understand (?:my|the"
    r"|what|how)",
    r"(?:didn't|did not|doesn't|does not|don't|do not) (?:seem to |really "
    r"|even )?know (?:what (?:he|she|they)(?: was| were| is| are|'s|'re) doing|anything|much"
    r"|the first thing)",
)

# Positive qualities that are complaints when negated ("was not caring", "didn't listen").
NEGATED_CUES: dict[str, tuple[str, ...]] = {
    "conduct": (
        r"compassionate", r"caring", r"empathetic", r"kind(?! of)", r"friendly", r"personable",
        r"respect(?:ful|s|ed)?", r"professional", r"polite", r"sensitiv(?:e|ity)",
        r"pa(?:y|id|ying) (?:any )?attention", r"courteous", r"pleasant", r"warm", r"helpful",
        r"nice", r"welcome", r"sympathetic", r"understanding", r"accommodating",
        r"(?:seem to |really |even )?care(?:d|s)?(?! for)", r"apologi[sz]e",
    ),
    "competence": (
        r"knowledgeable", r"competent", r"qualified", r"skilled",
        r"(?:very |too )?(?:bright|smart)", r"have a clue",
    ),
    "bedside_manner": (
        r"listen\w*(?! to (?:rumou?rs|(?:the |other |bad |negative )?reviews|others|people|them"
        r"|anyone))",
        r"hear (?:me|what)", r"explain\w*",
        r"(?:very |so )?good at (?:explaining|listening|communicating|answering)",
        r"answer(?:ed)? (?:my|any|our|the)", r"(?:look|looked) (?:at )?me in the eye",
        r"make eye contact", r"eye contact", r"take (?:me|my concerns?|it|us) seriously",
        r"took (?:me|my concerns?|it|us) seriously", r"spend (?:much |any )?time",
        r"spent (?:much |any |more than \w+ )?(?:time|minutes?)",
        r"let (?:me|you|us) (?:speak|talk|finish|ask|explain)",
        r"ask (?:me )?(?:any |many )?questions", r"take (?:the )?time", r"took (?:the )?time",
        r"entertain", r"give (?:me )?(?:a chance|any information)", r"bedside manner",
        r"communicat(?:e|ed|ion)", r"acknowledge", r"interested",
    ),
    "clinical_skill": (
        r"thorough", r"know how to", r"knew how to",
        r"(?:improve|improved|work(?:ing)?(?! with| for| at| there| out)|worked(?! with| for| at"
        r"| there| out)|heal|healed|fix|fixed|cure|cured|resolve|resolved)(?! me (?:to|with|make"
        r"|find|get|schedule|set))",
        r"examine(?:d)?", r"exam(?:ination)?", r"physical exam", r"diagnose(?:d)?",
        r"(?:order|run|do|perform)(?:ed)? (?:any |a |the |an? )?(?:tests?|labs?|blood ?work|mri"
        r"|x-?ray|scan)",
        r"(?:check|test)(?:ed)? (?:me |for )", r"touch(?:ed)? me", r"get better", r"any better",
        r"relief", r"treat(?:ed)? (?:my|the)",
    ),
    "service": (
        r"(?:return|returned) (?:my |our |any |a )?(?:calls?|phone calls?|messages?)",
        r"call(?:ed)? (?:me |us )?back", r"(?:get|got) back to (?:me|us)", r"on time",
        r"answer(?:ed)? (?:the|their) phones?", r"pick(?:ed)? up the phone", r"follow(?:s|ed)? up",
        r"(?:send|sent|fax|faxed)(?: over| in)? (?:my |the |our )?(?:records|prescription"
        r"|referral|results)",
        r"organi[sz]ed", r"responsive", r"accept(?:ed)? (?:my )?insurance",
        r"call(?:ed)? (?:me|us)",
    ),
}

# Complaint phrases that name their own category.
FIXED_CUES: dict[str, tuple[str, ...]] = {
    "bedside_manner": (
        r"bedside manners?(?: (?:is|was) (?:poor|bad|terrible|horrible|lacking|awful"
        r"|non-?existent))",
        r"(?:poor|bad|terrible|horrible|awful|lousy|worst|questionable|zero) bedside manners?",
        r"rush(?:ed|ing|es)?(?!(?: \w+){0,2} to\b)", r"hurried", r"in and out",
        r"(?:didn't|did not|never) listen",
        r"(?:would|wouldn't|did not|didn't|won't|doesn't|does not) (?:even )?let me (?:speak"
        r"|talk|finish|explain)",
        r"cut me off", r"interrupt(?:ed|s|ing)?", r"all in (?:\w+ ){0,2}head",
        r"(?:spent|spends|spend|gave|gives|give|took|was there for|saw (?:me|us) for"
        r"|talked for)(?: me| us| her| him)? (?:only |maybe |barely |about |less than |at most "
        r"|all of )?(?:\d+|a|one|two|three|four|five|ten)[- ](?:minutes?|mins?)",
        r"(?:wants?|wanted|in a hurry|rushing|couldn't wait|can't wait) to (?:leave|get out)",
        r"(?:very|too|so) (?:quick|fast)(?! to)",
        r"(?:didn't|did not|never|doesn't|does not) (?:\w+ )?ask (?:me )?(?:any |many "
        r"|a single )?questions",
        r"pressur(?:e|ed|ing) (?:me|you|us)", r"(?:too|very|so) rough",
        r"no time for (?:me|us|patients|questions)", r"f[ae]l+s? asleep",
        r"(?:\d+|few|ten|fifteen|thirty)[- ]seconds?",
        r"(?:minimal|little|no) (?:conversation|interaction|eye contact)",
        r"without (?:even )?(?:asking|consulting|telling|warning|informing) (?:me|us|my|her|him)",
        r"(?:felt|feel) (?:like |that )?(?:i was |i am |i'm )?(?:a burden|bothering (?:her|him))",
        r"(?:stared|staring|looking|typing) (?:at|on|into) (?:the|his|her|a) (?:computer|screen"
        r"|laptop|chart)",
        r"(?:felt|feel|feeling) (?:like )?(?:a number|stupid|dumb|ignored|dismissed|belittled"
        r"|unheard|invisible)",
        r"(?:felt|feel) like (?:i was|i'm) (?:bothering|a burden|wasting)",
        r"dismiss(?:ed|es)(?! (?:me|us|him|her|them) (?:from|as))",
        r"(?:no|without any|little) (?:explanation|communication)", r"poor communicat(?:ion|or)",
        r"(?:refused|unwilling|reluctant) to (?:answer|explain|discuss|talk)",
        r"(?:wouldn't|would not|refused to) (?:answer|explain)", r"know-it-all", r"god complex",
        r"(?:refused|refuses|refusing|unwilling|wouldn't|would not|won't) (?:to )?(?:listen"
        r"|hear me|admit|apologi[sz]e|take responsibility)",
        r"willingness to listen",
        r"(?:seen|see|saw|visit(?:ed)?|examined) (?:me |us |her |him )?for (?:literally |only "
        r"|just |about |maybe )?(?:\d+|a few|two|three|five|ten) (?:minutes|mins)",
        r"(?:doesn't|didn't|does not|did not) (?:get |seem )?(?:\w+ )?(?:involved|engaged"
        r"|interested)",
        r"in a (?:rush|hurry)",
        r"(?:attitude|personality|demeanou?r|manner) (?:is|was|stinks|sucks)",
        r"(?:lacks|lacking|lacked) (?:any )?(?:empathy|compassion|bedside)",
        r"(?:made|make|makes) (?:me|us) wait",
    ),
    "service": (
        r"wait(?:ed|ing)? (?:for |over |almost |nearly |about |more than |at least )*(?:\d+|an"
        r"|one|two|three|four|several|many|a couple(?: of)?|\d+ ?(?:-"
        r"|to) ?\d+) ?(?:\+ )?(?:hours?|hrs?|minutes?|mins?|weeks?|months?|days?)",
        r"(?:long|longer|excessive|ridiculous|horrible|terrible|forever|hours?[- ]long) (?:wait"
        r"|waits|waiting)",
        r"wait(?:ing)? (?:times?|room) (?:is|was|are|were) (?:long|ridiculous|terrible|horrible"
        r"|awful|crazy)",
        r"kept (?:me|us|patients) waiting",
        r"wait(?:s|ing)?(?: times?)? (?:is|was|are|were|can be|has been|of)(?: always| usually"
        r"| often| typically| sometimes| regularly| routinely)? (?:over |at least |more than "
        r"|about |almost |nearly )?(?:\d+|an|one|two|three|four|several"
        r"|a couple of) ?(?:\+ )?(?:hours?|hrs?)",
        r"(?:\d+|two|three|four)[- ](?:hours?|hrs?)[- ]waits?", r"waited (?:forever|and waited)",
        r"wait forever",
        r"(?:over |more than |almost |nearly )?(?:an?|one|two|three|\d+)(?: and a half)?"
        r" (?:hours?|hrs?)(?: and a half)? wait",
        r"wait(?:ing)? times? (?:is|was|are|were)(?: \w+)? (?:\d+ ?(?:to|-) ?)?\d+"
        r" ?(?:hours?|hrs?)",
        r"never (?:called|phoned|contacted)(?: me| us)?",
        r"(?:\d+|an|two|three) ?(?:hours?|hrs?|minutes?|mins) (?:late|behind|wait"
        r"|in the waiting room)",
        r"(?:runs?|running|ran|always) (?:\w+ )?(?:late|behind)", r"behind schedule",
        r"overbook(?:ed|s|ing)?", r"double[- ]book(?:ed|s|ing)?", r"on hold", r"voice ?mails?",
        r"(?:never|didn't|did not|don't|do not|won't|doesn't|does not) (?:ever )?(?:call(?:ed)?"
        r"|get|got|return(?:ed)?|respond(?:ed)?)(?: me| us)? back",
        r"(?:no|never got a|never received a|without a) (?:call|response|reply|return call"
        r"|callback)",
        r"(?:unanswered|unreturned) (?:calls?|messages?)",
        r"(?:messages?|calls?) (?:were |was |are |went )?(?:ignored|unanswered|unreturned)",
        r"(?:phone|phones) (?:is|are|was|were|just)? ?(?:never|not|always busy|rings?)",
        r"(?:cancel(?:l?ed|l?ing|s)|resched(?:uled?|uling)) (?:my|the|our|me|appointments?|it)",
        r"(?:can't|couldn't|could not|cannot|unable to|impossible to|hard to"
        r"|difficult to) (?:get|make|book|schedule) (?:an? |in |through)?(?:appointments?|appt"
        r"|in|through|a hold|anyone)",
        r"(?:first|next) available (?:appointment|appt)",
        r"(?:months?|weeks?) (?:out|for an appointment|to get an appointment)",
        r"(?:dropped|discharged|dismissed|kicked out) (?:me|us|my \w+) (?:from|as a patient)",
        r"no[- ]show fee", r"cancel(?:l?ed|l?ing|lations?|s)?",
        r"change[sd]? (?:my|the|our) (?:appointments?|appts?)", r"rip[- ]?off",
        r"ripped (?:me |us )?off", r"expensive", r"every penny",
        r"(?:never|didn't|did not|not) (?:even |once |actually )?(?:see|seen|saw|meet"
        r"|met) (?:the |a |an )?(?:actual )?(?:doctor|dr|physician|surgeon)",
        r"(?:need|needs) (?:a )?(?:better|new|nicer) (?:receptionists?|staff|front desk"
        r"|office staff)",
        r"(?:months?|weeks?) (?:before|to get|until|for|wait)(?: \w+){0,4}? (?:appts?"
        r"|appointments?|visits?|consults?)",
        r"not (?:taking|accepting) (?:new )?patients",
        r"(?:doesn't|does not|don't|do not|won't|wouldn't|didn't|did not) (?:want|take"
        r"|accept) (?:\w+ )?insurances?",
        r"(?:could not|couldn't|can't|cannot|unable to|never able to) (?:reach|contact"
        r"|get hold of|get a hold of|get through)",
        r"no one (?:was there|answered|picks? up|calls? back)", r"portal", r"no one knew",
        r"(?:months?|weeks?)(?: \w+){0,4} (?:before|to get|for) (?:an? |the )?(?:appt"
        r"|appointment|visit|consult)",
        r"bill(?:s|ed|ing)?", r"overcharg(?:ed|es|ing)", r"charg(?:ed|es|ing) (?:me|us|my)",
        r"collections?(?: agency)?", r"co-?pays?", r"deductible", r"refund", r"out of pocket",
        r"insurance(?: company)? (?:denied|refused|didn't|did not|wouldn't)",
        r"(?:fees?|prices?) (?:are|is|were|was) (?:\w+ )?(?:high|outrageous|ridiculous)",
        r"(?:records?|referrals?|prior auth(?:ori[sz]ation)?|refills?|paperwork|forms?"
        r"|results) (?:were |was |are |never |not )?(?:lost|never|not sent|sent to the wrong)",
        r"dirty", r"filthy", r"unsanitary", r"disorgani[sz]ed",
        r"(?:staff|nurses?|receptionists?|front desk) (?:is|are|was|were) (?:\w+ )?(?:rude"
        r"|incompetent|useless|horrible|terrible|awful|unprofessional|unhelpful|clueless)",
        r"mix[- ]?up", r"lost (?:my|our|the) (?:records|paperwork|file|chart|results)",
        r"never (?:got|received|heard) (?:my |the |any )?(?:results|call|response|anything|back)",
        r"(?:results|referral|prescription|refill) (?:never|wasn't|was not|not) (?:sent|called"
        r"|given|faxed|received|ready)",
    ),
    "clinical_skill": (
        r"mis-?diagnos(?:ed|is|es|ing)", r"wrong(?:ly)? diagnos(?:ed|is)",
        r"(?:failed|fail|failing|refused|unable) to (?:diagnose|detect|find|catch|recogni[sz]e"
        r"|notice|treat|order|test|refer (?:me|us|my)|prescribe|examine)",
        r"missed (?:the |my |a |an |his |her )?(?:diagnosis|\w+ (?:fracture|break|tumor|cancer"
        r"|infection))",
        r"missed (?:it|that|something|the)", r"negligen(?:t|ce)", r"malpractice",
        r"botch(?:ed|es)?", r"butcher(?:ed)?", r"quack", r"careless",
        r"(?:wrong|incorrect) (?:medication|medicine|meds|drug|dose|dosage|prescription"
        r"|treatment|tooth|side|diagnosis)",
        r"(?:unnecessary|needless|useless) (?:\w+ )?(?:surgery|surgeries|procedures?|tests?"
        r"|treatments?|x-?rays?|medications?|scans?|visits?)",
        r"(?:made|making) (?:it|me|things|my \w+) (?:\w+ )?worse", r"(?:got|getting|became) worse",
        r"(?:still|worse) in pain", r"second opinion",
        r"(?:another|new|different|other|second|next) (?:\w+ )?(?:doctors?|dr|physicians?"
        r"|specialists?|surgeons?|dentists?|\w+ologists?|\w+iatrists?|ent|gp|er"
        r"|hospital)\.?(?: \w+){0,4}? (?:found|diagnosed|discovered|confirmed|fixed|corrected"
        r"|removed|caught|said|told|says|figured)",
        r"turned out (?:to be|that|i had)",
        r"(?:no|without|never did an?|didn't do an?) (?:physical )?exam(?:ination)?",
        r"(?:didn't|did not|never|wouldn't|would not|without) (?:even )?(?:examine|touch|look at"
        r"|check) (?:me|my|her|him|the)",
        r"(?:complications?|infected|infection)", r"(?:nerve|permanent|brain|irreversible) damage",
        r"(?:wrong|bad|poor|terrible|horrible|awful|lousy|mediocre|substandard"
        r"|worst) (?:medical )?(?:advice|care|job|results?|outcome|work|surgeon|surgery"
        r"|(?<!people )skills|treatment|medicine|technique|diagnostician|physician|practitioner"
        r"|dentistry)",
        r"made (?:\w+ )?(?:wrong |incorrect |false )?assumptions",
        r"(?:didn't|did not|never|doesn't|does not) (?:even )?(?:take|do|ask about|read|review"
        r"|look at) (?:a |my |your |any |the )?(?:\w+ )?history",
        r"lack of (?:\w+ ){0,3}treatment",
        r"(?:they|he|she|doctors?) (?:found|discovered|diagnosed) (?:a |an |the |my |his "
        r"|her )?(?:\w+ )?(?:pneumonia|fracture|infection|tumou?r|cancer|clot|appendicitis|break"
        r"|tear|abscess)",
        r"still (?:having|have|had|has) (?:the same |my )?(?:problems?|issues?|pain|symptoms)",
        r"(?:refused|wouldn't|would not|won't) (?:to )?(?:prescribe|order|refer (?:me|us|my)"
        r"|give me|test|treat)",
        r"(?:over|under)[- ]?(?:prescrib|medicat|treat)\w*",
        r"(?:ruined|destroyed|damaged|messed up|screwed up) (?:my|her|his|our) (?!appointment"
        r"|insurance|bill|billing|records?|schedule|prescription|referral|paperwork)",
        r"(?:surgery|procedure|operation|treatment|adjustment|injection) (?:was|went)? ?(?:wrong"
        r"|bad|a failure|a disaster|unsuccessful)",
        r"(?:ineffective|did nothing|didn't work|did not work|no relief|no improvement)",
        r"(?:pushed|pushing|push) (?:pills|drugs|meds|medication|surgery)",
        r"(?:just|only) (?:wanted to|want to) (?:prescribe|push|sell|do surgery)",
        r"scar(?:s|red|ring)", r"(?:deformed|disfigured|lopsided|uneven)", r"perforat\w*",
        r"pierced",
        r"(?:ruined|destroyed|damaged|mutilated|scarred|burn(?:ed|t)|injured|nicked"
        r"|disfigured) (?:my|her|his|our) (?!appointment|insurance|bill|billing|records?"
        r"|schedule|prescription|referral|paperwork|day|week|credit)\w+",
        r"(?:didn't|did not|doesn't|does not|never) (?:even |really )?work(?:ed)?(?! with| for"
        r"| at| there| out)",
        r"(?:still )?(?:don't|do not|didn't|did not|never) (?:have|get|got|give|gave|had) (?:me "
        r"|us )?(?:any )?(?:real )?answers",
        r"no (?:real )?answers",
        r"refuse[ds]? to (?:do|run|order|perform|give) (?:the |a |any |an "
        r"|me )?(?:\w+ )?(?:tests?|scans?|mri|x-?rays?|biopsy|labs?|blood ?work|procedure"
        r"|referral|medication)",
        r"(?:quick|brief|cursory|superficial|rushed|\d+[- ]seconds?) (?:\w+ )?(?:exam"
        r"|examination|look)",
        r"prove[dn]? (?:\w+ )?wrong",
        r"missed (?:(?:the|my|a|an|his|her|very|important|\w+) ){0,3}(?:tests?|diagnosis|signs?"
        r"|symptoms?|follow-up)",
        r"punctured", r"overdos\w*",
        r"(?:left|forgot) (?:a |an |the )?(?:sponge|instrument|clamp|\w+) inside",
        r"(?:didn't|did not|nothing|never) help(?:ed)? (?:with )?(?:my|the|her|his) (?:pain"
        r"|condition|problem|symptoms|issues?|back|knee|neck|headaches?|migraines?)",
        r"pill[- ]?push\w*",
        r"push(?:es|ed|ing)? (?:the |more )?(?:pills|drugs|meds|opioids|antibiotics)",
        r"(?:threw|throws|throw|throwing) (?:\w+ )?(?:drugs|pills|meds|medications?"
        r"|antibiotics) at",
        r"(?:more|so much|a lot of|worse) pain",
        r"caused (?:me |her |him )?(?:so much |a lot of |more )?pain",
        r"wors[et] than (?:before|when|it was)", r"made (?:my|it|me|things) \w+ wors[et]",
        r"incorrectly (?:diagnos\w*|treat\w*|prescrib\w*|read)",
        r"(?:no|without (?:a|any)) (?:diagnosis|remed\w+|solutions?|treatment plan)",
        r"sub-? ?standard",
        r"without (?:doing|offering|giving) (?:me )?(?:anything|any)",
        r"misinform\w*",
        r"without (?:even )?(?:performing |doing |giving )?(?:a |an "
        r"|any )?(?:physical )?(?:exam\w*|examining|checking|looking)",
        r"(?:reluctant|unwilling|didn't want|did not want|refused|refuses"
        r"|hesitant) to (?:give me |write )?(?:a |any )?(?:refer\w*|order|prescribe|test|treat"
        r"|run|do (?:a|any|the) (?:test|scan|mri|x-?ray|biopsy)|operate)",
        r"(?:said|told (?:me|us)|claimed|insisted|assured (?:me"
        r"|us)) (?:that )?(?:nothing was wrong|there was nothing wrong|(?:everything"
        r"|it) was (?:fine|ok|okay|normal)|i was fine|(?:he|she) was fine)",
        r"jump(?:s|ed|ing)? to (?:\w+ ){0,4}conclusions?",
        r"quick to (?:diagnose|dismiss|judge|prescribe)",
        r"(?:didn't|did not|doesn't|does not|won't|wouldn't|never) (?:even )?(?:review|read"
        r"|look at|look over|go over|take) (?:my|your|the|her|his|a) (?:\w+ )?(?:history|chart"
        r"|records|file|results|notes|scans?|x-?rays?|mri|report)",
        r"sales pitch", r"upsell\w*",
        r"(?:got|getting) no ?where",
        r"order(?:ed|s)? (?:more|unnecessary|lots of|a lot of|a bunch of) (?:\w+ )?(?:tests"
        r"|scans|labs|x-?rays)",
        r"(?:no|not any|not) better", r"(?:did|do|does) (?:more )?harm",
        r"(?:gave|given|prescribed) (?:me |her |him )?(?:the )?wrong",
    ),
}

# Topic words that count only in a sentence that is not positive: STRONG ones in any sentence of a
# negative review (and in negative sentences elsewhere), WEAK ones only in clearly negative
# sentences that carry no other cue.
ASPECT_STRONG: dict[str, tuple[str, ...]] = {
    "bedside_manner": (
        r"bedside manners?", r"attitude", r"demeanou?r", r"people skills",
    ),
    "service": (
        r"(?:front|office) desk", r"receptionists?", r"office (?:staff|manager|personnel)",
        r"customer service", r"parking", r"waiting room", r"billing", r"bill(?:s|ed)?",
        r"insurance", r"co-?pays?", r"charged?", r"fees?", r"secretar(?:y|ies)",
        r"(?:medical )?records?", r"fax\w*", r"prices?", r"(?:the|this|that) office", r"referrals?",
        r"refills?", r"paperwork", r"voice ?mail", r"scheduling", r"schedulers?",
        r"(?:the|his|her|their) staff", r"nurses?",
        r"call(?:ed)? (?:back|several times|\w+ times|repeatedly|again)", r"phone calls?",
    ),
    "clinical_skill": (
        r"diagnos[ie]s", r"misdiagnos\w*", r"prescri(?:bed|ption)", r"medications?", r"surgery",
        r"procedure", r"knowledge", r"(?<!people )skills?", r"competence", r"expertise",
        r"treatment",
    ),
}
ASPECT_WEAK: dict[str, tuple[str, ...]] = {
    "bedside_manner": (
        r"personality", r"manners?", r"communication(?: skills)?", r"compassion", r"empathy",
        r"respect", r"listen\w*", r"explain\w*", r"questions",
    ),
    "service": (
        r"staff", r"(?<!his )(?<!her )office", r"appointments?", r"appts?", r"phones?", r"calls?",
        r"pay(?:ment)?", r"wait(?:ed|ing)?", r"hospital", r"clinic", r"facility", r"assistant",
        r"money",
    ),
    "clinical_skill": (
        r"results", r"care", r"advice", r"pain", r"outcome", r"exam", r"tests?", r"treatments?",
        r"meds", r"condition", r"symptoms",
    ),
}

# harm: alleged injury, dangerous error, death or serious adverse event attributed to care.
# HARM_SEVERE counts in any review that is not positive; HARM_OUTCOME (bad physical outcomes)
# only where the review also complains about clinical skill, i.e. the outcome is blamed on care.
HARM_SEVERE: tuple[str, ...] = (
    r"(?:died|death|passed away|killed|kill(?:ed|ing)? (?:me|her|him|someone|people|patients)"
    r"|fatal|lost (?:his|her|my|their) life)",
    r"(?:almost|nearly|could have|could've|would have) (?:died|killed|lost)",
    r"life[- ]threatening", r"perforat\w*", r"pierced", r"punctured",
    r"(?:nerve|brain|permanent|organ|irreversible) damage", r"paraly[sz]\w*", r"sepsis|septic",
    r"(?:had|suffered|caused|causing|led to|resulted in|gave (?:me|her|him)) a (?:stroke"
    r"|heart attack|seizure)",
    r"overdos\w*", r"hemorrhag\w*|bled (?:out|heavily)|internal bleeding",
    r"(?:wrong|incorrect) (?:medication|drug|dose|dosage|tooth|side|leg|eye|knee|hip|site)",
    r"too (?:strong|high|much) (?:a )?(?:dose|dosage|meds|medications?|drugs)",
    r"allergic reaction", r"botch(?:ed)?", r"butcher(?:ed)?", r"disfigur\w*", r"deformed",
    r"miscarri\w*",
    r"(?:missed|undiagnosed|misdiagnosed|overlooked) (?:\w+ ){0,2}(?:cancer|tumou?r|fracture"
    r"|stroke|appendicitis|infection|heart attack|blood clot|ectopic)",
    r"(?:cancer|tumou?r|mass|growth)\b.{0,60}\b(?:missed|spread|growing|grew|larger|stage (?:3|4"
    r"|iii|iv)|too late)",
    r"(?:lost|lose) (?:my|her|his) (?:vision|sight|eye|leg|arm|baby|hearing|teeth|tooth)",
    r"(?:ruined|destroyed|damaged|mutilated|scarred) (?:my|her|his) (?!appointment|insurance"
    r"|bill|billing|records?|schedule|prescription|referral|paperwork|day|week)\w+",
    r"dangerous",
)
HARM_OUTCOME: tuple[str, ...] = (
    r"infect(?:ed|ion|ions)", r"abscess\w*", r"complications? (?:from|after|of|during)",
    r"(?:big|major|serious|severe|many|several|terrible|horrible"
    r"|life[- ]threatening) complications?",
    r"hurt (?:me|her|him|my)", r"injured (?:me|my|her|his|him)",
    r"harmed", r"maimed", r"crippled", r"damage[sd]?", r"scar(?:s|red|ring)", r"burn(?:ed|t)",
    r"broke (?:my|her|his)", r"fractur\w*",
    r"(?:severe|excruciating|unbearable) pain (?:after|during|from|since)",
    r"(?:another|second|2nd|third|corrective|revision|more|additional|\d+|several) surger(?:y|ies)",
    r"re-?do(?:ne)?", r"fix (?:what|the damage|his mistake|her mistake)",
    r"(?:adverse|allergic|bad|severe|terrible) reactions?", r"side[- ]effects?", r"withdrawals?",
    r"left (?:inside|in) (?:me|my|her|his)", r"bleeding|bled",
    r"\btore\b|tear(?:ing)? (?:badly|horribly)", r"droop\w*",
    r"still in (?:\w+ )?(?:pain|bad condition)",
    r"(?:ended up|rushed|went|admitted|back|weeks|days|stay) (?:in|to|at) (?:the )?(?:er"
    r"|emergency|hospital|icu)",
    r"emergency room", r"hospitali[sz]\w*", r"\bicu\b",
    r"(?:made|making) (?:it|me|things|my \w+) (?:\w+ )?worse",
    r"unnecessary (?:surgery|procedures?|injections?|treatments?|medications?)", r"consequences",
    r"permanent(?:ly)?",
)
LEGAL: tuple[str, ...] = (
    r"law ?suits?", r"su(?:ed|ing)", r"malpractice", r"attorneys?", r"lawyers?",
    # "sue" as a verb, never the name ("Sue at the front desk")
    r"sue (?:him|her|them|this|that|the|for|you|dr|my|his|their)",
    r"(?:will|would|should|going to|gonna|could|can|threatened to|want to|plan to) sue",
    r"legal action", r"(?:medical|state|licensing|dental) board", r"college of physicians",
    r"board of (?:medicine|health)",
    # a complaint to the practice itself is service, not legal
    r"(?:file|filed|filing|lodged?) (?:a |an )?(?:formal |official )?(?:complaint|grievance"
    r"|report)(?! (?:to|with) (?:the |their |her |his )?(?:front desk|office|receptionist"
    r"|manager|office manager|staff|practice|clinic|patient (?:relations|advocate)"
    r"|customer service))",
    r"report(?:ed|ing)? (?:him|her|them|this (?:doctor|office|practice)) to", r"attorney general",
    r"negligence claim", r"small claims", r"took (?:him|her|them) to court",
)
# Cues that match fewer than 5 of the 51,627 corpus reviews but stay: general phrases of the
# codebook or of complaint/legal language, not fitted to any one review. Every other cue must match
# at least 5 corpus reviews (tests/test_lexicon.py): a rule written from one review does not
# generalise.
RARE_BUT_GENERAL: dict[str, str] = {
    r"negligence claim": "explicit legal phrase",
    r"took (?:him|her|them) to court": "explicit legal phrase",
    r"board of (?:medicine|health)": "the bodies complaints are filed with",
    r"small claims": "explicit legal phrase",
    r"legal action": "explicit legal phrase",
    r"attorney general": "the office complaints are filed with",
    r"pierced": "codebook's own harm example (pierced colon)",
    r"punctured": "same injury as pierced",
    r"harmed": "plain harm verb",
    r"maimed": "plain harm verb",
    r"too (?:strong|high|much) (?:a )?(?:dose|dosage|meds|medications?|drugs)": "codebook: "
    "wrong or dangerous medication",
    r"left (?:inside|in) (?:me|my|her|his)": "retained object, a never event",
    r"(?:left|forgot) (?:a |an |the )?(?:sponge|instrument|clamp|\w+) inside": "retained object",
    r"(?:did|do|does) (?:more )?harm": "plain harm phrase",
    r"(?:unanswered|unreturned) (?:calls?|messages?)": "codebook: messages ignored",
    r"(?:messages?|calls?) (?:were |was |are |went )?(?:ignored|unanswered|unreturned)": "codebook:"
    " messages ignored",
    r"no[- ]show fee": "codebook names it",
    r"lost (?:my|our|the) (?:records|paperwork|file|chart|results)": "codebook: records",
    r"(?:results|referral|prescription|refill) (?:never|wasn't|was not|not) (?:sent|called"
    r"|given|faxed|received|ready)": "codebook: results never communicated, refills held up",
    r"(?:look|looked) (?:at )?me in the eye": "codebook: no eye contact",
    r"sexist": "codebook: offensive remarks (as racist)",
    r"(?:told|tells|telling) (?:me|us|her|him) (?:to |that (?:i|we|she|he) (?:should|need to"
    r"|had to|have to) )?(?:just )?(?:suck (?:it )?up|deal with it|live with it|get over it)": (
        "codebook: concerns not taken seriously, framed as attitude"
    ),
    r"(?:didn't|did not|nothing|never) help(?:ed)? (?:with )?(?:my|the|her|his) (?:pain"
    r"|condition|problem|symptoms|issues?|back|knee|neck|headaches?|migraines?)": "codebook: "
    "ineffective treatment",
    r"(?:didn't|did not|never|doesn't|does not) (?:even )?(?:take|do|ask about|read|review"
    r"|look at) (?:a |my |your |any |the )?(?:\w+ )?history": "codebook: failed to examine",
    r"(?:still )?(?:don't|do not|didn't|did not|never) (?:have|get|got|give|gave|had) (?:me "
    r"|us )?(?:any )?(?:real )?answers": "general phrase of an unresolved complaint",
}

# phi: the text itself exposes identifying details together with health information.
PHI: tuple[str, ...] = (
    r"\b(?:dob|d\.o\.b\.|date of birth|born on)\b\W{0,3}\d",
    r"\b(?:ssn|social security(?: number)?)\b", r"\b(?:mrn|medical record (?:number|no|#))\b",
    r"\b\d{3}-\d{2}-\d{4}\b", r"\b(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}\b",
    r"\b[\w.+-]+@[\w-]+\.[\w.]+\b", r"\bmy name is [A-Z][a-z]+ [A-Z][a-z]+",
    r"\b(?:patient|pt) (?:name|id)\b",
)
# Health words that make identifying details in PHI matter.
PHI_HEALTH = (
    r"\b(?:diagnos\w*|hiv|cancer|pregnan\w*|depress\w*|bipolar|schizo\w*|std|herpes|surgery|disease"
    r"|disorder|addict\w*|abortion|medication)\b"
)

# Hides clinical test results from VADER ("tested positive", "came back negative").
CLINICAL_RESULT = (
    r"\b(?:(?:tests?|tested|results?|came back|screen(?:ed|ing)?|biopsy|biopsies|scans?|cultures?"
    r"|mammogram|pap|x-?rays?|mri|ct|swab|panel|was|were|is|are|be|been|turned out)\s+(?:\w+\s+)?"
    r"(?:negative|positive))|\b(?:negative|positive)(?=\s+(?:for|test|result|biopsy|screen|culture"
    r"|diagnosis|pregnancy|margins?|nodes?|findings?))|\b(?:hiv|her2|brca|er|pr|rh|covid|strep)[- ]"
    r"(?:negative|positive)|\bfalse (?:negative|positive)"
)
# Phrases where an opinion-looking word is a name ("urgent care", "please see", "primary care").
NEUTRAL_PHRASES = (
    r"\b(?:urgent|primary|health|intensive|critical|medical|patient|managed|home|after|self|skin"
    r"|prenatal|foot|eye|dental|palliative|hospice|standard of) ?care\b|\bcare (?:team|plan|center"
    r"|unit)\b|\bwell[- ](?:woman|child|baby|visit|being)\b|\bpain (?:management|clinic|doctor"
    r"|specialist|meds?|medications?|killers?)\b"
)

# Opinion words VADER's lexicon lacks (VADER scale -4..+4).
VADER_ADDITIONS: dict[str, float] = {
    "rushed": -1.8, "rushing": -1.2, "hurried": -1.5, "dismissive": -2.0, "dismissed": -1.5,
    "misdiagnosed": -2.5, "misdiagnosis": -2.5, "billing": -0.8, "billed": -0.8, "waited": -1.0,
    "condescending": -2.2, "uncaring": -2.3, "unhelpful": -1.8, "negligent": -2.5,
    "negligence": -2.5, "botched": -2.8, "butchered": -2.8, "quack": -2.3, "unnecessary": -1.0,
    "overbooked": -1.5, "overcharged": -2.0, "collections": -1.0, "unresponsive": -1.8,
    "cold": -1.0, "patronizing": -2.0, "mistreated": -2.5, "unqualified": -2.0, "inept": -2.3,
    "sloppy": -1.8, "malpractice": -2.5, "beware": -2.0, "arrogance": -2.2, "rudeness": -2.2,
    "unprofessionalism": -2.2, "incompetence": -2.3, "impatient": -1.6, "judgmental": -1.7,
    "judgemental": -1.7, "disorganised": -1.2, "insensitive": -1.8, "demeaning": -2.1,
    "belittling": -2.0, "nasty": -2.3, "useless": -2.0, "worthless": -2.3, "elsewhere": -0.6,
    "cancelled": -1.0, "canceled": -1.2, "rescheduled": -0.6, "refuses": -1.2, "refusing": -1.2,
    "ignores": -1.3, "ignoring": -1.3, "unanswered": -1.2, "inattentive": -1.8,
    "impersonal": -1.5, "callous": -2.2, "abrupt": -1.2, "curt": -1.2, "smug": -1.6,
    "clueless": -1.8, "careless": -1.8, "overpriced": -1.6, "disrespectful": -2.2,
    "unethical": -2.3, "unsanitary": -1.8, "filthy": -2.0, "hostile": -2.0, "dishonest": -2.2,
    "worse": -2.1, "scammed": -2.5, "ripped": -1.2, "lied": -2.0, "lying": -2.0, "liar": -2.5,
    "heartless": -2.4, "ineffective": -1.6, "incorrect": -1.2, "wrong": -1.5, "unable": -0.8,
    "infection": -1.2, "complications": -1.3, "damage": -1.6, "damaged": -1.8,
    # praise words of physician reviews that VADER lacks ("not thorough" is still negated)
    "thorough": 1.8, "thoroughly": 1.0, "knowledgeable": 1.8, "knowledgable": 1.8,
    "attentive": 1.8, "professional": 1.5, "professionalism": 1.5, "informative": 1.5,
    "personable": 1.8, "skilled": 1.8, "skillful": 1.8, "approachable": 1.5,
    "accommodating": 1.5,
    "unorganized": -1.5, "poorly": -1.5, "mediocre": -1.5, "subpar": -1.8, "nonexistent": -1.2,
    "shady": -1.8, "sketchy": -1.5, "unreliable": -1.6, "gruff": -1.5, "brusque": -1.5,
    "butcher": -2.0, "crippled": -2.0, "atrocious": -2.8, "unsatisfactory": -1.8, "lacks": -1.0,
    "lacking": -1.0, "lacked": -1.0, "uninterested": -1.8, "disinterested": -1.5,
    "inexperienced": -1.5, "incompetency": -2.3, "unprofessionally": -2.0, "patronising": -2.0,
    "understaffed": -1.2, "unreachable": -1.2, "misled": -2.0, "snippy": -1.5, "snotty": -1.8,
    "robotic": -1.0, "pointless": -1.5, "ripoff": -2.0, "unskilled": -1.8, "bungled": -2.2,
    "overmedicated": -1.5, "inaccurate": -1.2, "unempathetic": -2.0, "unsympathetic": -1.8,
    "unapologetic": -1.5, "unknowledgeable": -1.8, "uncooperative": -1.5,
    # in a review these mostly mark disbelief or complaint ("apparently", "a joke", "zero help")
    "apparently": -0.6, "excuse": -0.8, "excuses": -0.8, "joke": -0.8, "zero": -0.8,
    # French, for the Quebec reviews
    "merci": 2.0, "meilleur": 2.5, "meilleure": 2.5, "génial": 2.5, "géniale": 2.5,
    "recommande": 1.5, "gentil": 2.0, "gentille": 2.0, "attentionné": 2.0, "attentionnée": 2.0,
    "compétent": 2.0, "compétente": 2.0, "professionnel": 1.5, "professionnelle": 1.5,
    "pire": -2.5, "nul": -2.0, "nulle": -2.0, "impoli": -2.0, "impolie": -2.0,
    "incompétent": -2.5, "incompétente": -2.5, "arrogante": -2.2, "méprisant": -2.2,
    "méprisante": -2.2, "éviter": -1.5, "froid": -1.0, "froide": -1.0, "déçu": -2.0, "déçue": -2.0,
}
# Words that in medical text name a condition or the service, not the writer's opinion.
VADER_NEUTRAL: tuple[str, ...] = (
    "cancer", "tumor", "pain", "sick", "ill", "disease", "negative", "positive", "cure",
    "well", "like", "okay", "ok", "patient", "patience", "free", "pretty", "please",
    "emergency", "injury", "depression", "depressed", "anxiety", "fracture", "rash", "painful",
    "nervous", "worried", "scared", "anxious", "fear", "stress", "stressed", "seriously", "serious",
    "flu", "sore", "ache", "aches", "problem", "problems", "suffer", "suffering", "suffered",
    "hurt", "hurts", "hurting", "injured", "accident", "severe", "numb", "struggle", "struggled",
    "struggling", "desperate",
)
# Praise idioms that VADER reads as negations ("couldn't be happier", "can't say enough").
PRAISE_IDIOMS = (
    r"\b(?:could|can|would)(?:n[o'’]?t|['’]t| not|not)"
    r" (?:\w+ ){0,2}(?:better|happier|more (?:pleased|happy|grateful|satisfied|thankful|highly)"
    r"|enough|(?:ask|hope|wish) for (?:a |an )?(?:better|more))\b|\bno better\b"
    r"|\b(?:could|can)(?:n[o'’]?t|['’]t| not|not) (?:\w+ )?(?:rec+om+end|thank|praise)"
    r" (?:\w+\.? ){0,3}enough\b"
    r"|\b(?:won['’]?t|will not|never) find (?:a |an )?(?:better|more)\b"
    r"|\bnothing (?:less|short) than\b|\bnever (?:felt|been|looked) better\b"
    r"|\b(?:could|would)(?:n[o'’]?t|['’]t| not) have (?:\w+ ){0,4}without"
    r" (?:him|her|them|dr|his|their)\b"
    r"|\bnever (?:felt|feel) (?:rushed|hurried|dismissed|ignored)\b|\bbar none\b"
    r"|\bnothing but (?:praise|good|great|positive|the best|excellent|wonderful|kindness"
    r"|respect|love)\b"
    r"|\bno (?:(?:more|longer)(?: \w+)? )?(?:pain|headaches?|migraines?|problems?|issues|symptoms"
    r"|suffering|hurting)\b"
)
# Whole-review verdicts: they move the document score beyond the sentence average.
# "rec+om+end": patients often misspell it ("reccomend", "recomend"); the verdict stands.
VERDICT_POSITIVE = (
    r"\b(?:highly rec+om+end|(?:would|will|definitely|strongly|totally) rec+om+end|i rec+om+end"
    r"|rec+om+end (?:him|her|them|dr|this|to)|best (?:doctor|dr|physician|surgeon|dentist|ob|gyn"
    r"|pediatrician|specialist|care)|(?:thank you|thanks) (?:dr|so much|for(?! not| nothing))"
    r"|so (?:grateful|thankful|lucky|blessed)|lucky to have|saved my (?:life|leg|\w+'s life)"
    r"|can'?t say enough|(?:love|loved|adore) (?:him|her|dr|this doctor|my doctor)"
    r"|(?:wonderful|amazing|excellent|fantastic|great"
    r"|awesome|outstanding|exceptional|caring|compassionate|brilliant) (?:doctor|dr|physician"
    r"|surgeon|dentist|man|woman|person|care|staff))\b"
)
VERDICT_NEGATIVE = (
    r"\b(?:(?:(?:would|will|do|does|did|could|can)(?: not|n'?t)|won'?t) (?:\w+ )?rec+om+end(?:ed)?"
    r"|(?:not|never) (?:\w+ )?rec+om+end(?:ed)?|better served|think twice"
    r"|stay (?:far |clear )?away|stay clear|never (?:go|going|went|be going) back|worst|beware"
    r"|run (?:away|far)|waste of (?:time|money)|(?:do not|don't|dont) (?:go|see|waste)"
    r"|(?:zero|0|no|one|1) stars?|will not (?:go|return|be back)"
    r"|(?:never|not) (?:\w+ )?(?:visit|return|returning|come back|coming back|go back|going back)"
    r"|i (?:will|would) (?:never|not) (?:\w+ )?(?:again|back)|not worth|save yourself"
    r"|(?:don't|do not|never) (?:\w+ )?(?:bother|waste)|care elsewhere"
    r"|(?:wish|if) i could give (?:zero|0|no|negative|less|fewer)|negative (?:\d+ )?stars?"
    r"|(?:would|will) not (?:be )?(?:going|go) back"
    r"|avoid (?:him|her|them|this|at all costs)|better off (?:with|going|seeing|finding)"
    r"|(?:didn't|did not|never) (?:go|went) back"
    r"|rec+om+end (?:going|looking|trying|finding) (?:\w+ )?(?:elsewhere|somewhere else)"
    r"|(?:encourage|advise|suggest|recommend|urge) (?:\w+ )?(?:to )?(?:find|select|choose|see|get)"
    r" (?:a |an )?(?:another|different|new|other) (?:doctor|dr|physician|surgeon|dentist|provider)"
    r"|better (?:doctors|physicians|surgeons|dentists|options|choices) (?:\w+ )?out there"
    r"|(?:horrible|terrible|awful|worst|bad|rude|incompetent|uncaring|arrogant) (?:doctor|dr"
    r"|physician|surgeon|dentist|man|woman|person|experience|care|staff))\b"
)
# A negative sentence naming an illness, symptom or ordeal and holding no complaint cue tells the
# patient's story ("a terrible rash covered his face"), not a verdict on the care: it counts less.
CONDITION_WORDS = (
    r"\b(?:pain\w*|sick|ill|illness|symptoms?|infection|cancer|tumou?r|rash|fever|surgery|disease"
    r"|condition|diagnos\w*|suffer\w*|hurt\w*|injur\w*|fracture\w*|broke|broken|bleed\w*"
    r"|depress\w*|anxi\w*|worse|emergency|er|hospital|failed|severe|chronic|accident|problems?"
    r"|issues?|migraines?|headaches?|stroke|attack|disorder|tired|fatigue|nausea|vomit\w*"
    r"|swollen|swelling|sore|infected|stress\w*|scared|afraid|fear|worried|nervous|terrified"
    r"|desperate|hopeless\w*)\b"
)
# Sentences about someone else's failings ("my previous doctor missed it") say little about
# the one reviewed; they count less in the document score.
OTHER_PROVIDER = (
    r"\b(?:other|another|previous|prior|former|old|last|first|many|several|\w+ other)"
    r" (?:doctors?|drs?|physicians?|specialists?|surgeons?|dentists?|gps?|psychiatrists?"
    r"|\w+ologists?)\b|\bbefore (?:him|her|dr|seeing)\b"
)
# Sentence openers that make a sentence outweigh the one before it ("... But he never listens").
CONTRAST_OPENERS = r"^\W*(?:but|however|unfortunately|sadly|that said|although|though|yet)\b"
# fmt: on
