package corpus

// The word tables the generator draws from. They only need to look like
// news copy: enough variety for realistic Markdown, slugs and related-article
// similarity, and enough combinations for 10,000 distinct headlines.

var firstNames = []string{
	"Anna", "Boris", "Daria", "Elena", "Farid", "Galina", "Ivan", "Katya",
	"Lev", "Maria", "Nikolai", "Olga", "Pavel", "Roman", "Svetlana", "Timur",
	"Vera", "Yuri", "Zara", "Alexei", "Irina", "Dmitry", "Natalia", "Oleg",
}

var lastNames = []string{
	"Antonova", "Belov", "Chernova", "Dmitriev", "Egorova", "Fedorov",
	"Gromova", "Ivanov", "Kuznetsova", "Lebedev", "Morozova", "Novikov",
	"Orlova", "Petrov", "Romanova", "Sokolov", "Tarasova", "Volkov",
	"Zaitseva", "Kovalenko", "Markova", "Smirnov", "Pavlova", "Sorokin",
}

var agencies = []string{"AFP", "Reuters", "AP", "Interfax"}

var tagPlaces = []string{
	"Moscow", "Kyiv", "Tbilisi", "Yerevan", "Baku", "Minsk", "Almaty",
	"Tashkent", "Riga", "Vilnius", "Tallinn", "Warsaw", "Berlin", "Brussels",
	"Siberia", "Caucasus", "Crimea", "Arctic", "Urals", "Far East",
}

var tagTopics = []string{
	"Elections", "Energy", "Economy", "Diplomacy", "Courts", "Media",
	"Migration", "Health", "Education", "Climate", "Security", "Culture",
	"Sanctions", "Protests", "Religion", "Business", "Technology", "Sport",
	"Environment", "Human Rights",
}

// Headline parts: subject, verb phrase, object, complement.
var (
	subjects = []string{
		"Regional Governor", "Central Bank", "Opposition Leader", "Foreign Ministry",
		"Supreme Court", "State Duma", "Energy Giant", "City Council", "Defense Ministry",
		"Election Commission", "Kremlin Adviser", "Prosecutor General", "Trade Union",
		"Independent Journalist", "Human Rights Group", "Airline", "Railway Operator",
		"Tech Company", "University Rector", "Local Activists", "Mining Company",
		"Health Ministry", "Border Guards", "Farmers", "Teachers", "Doctors",
		"Investigative Reporters", "Orthodox Church", "Steel Maker", "Grain Exporters",
		"Football Club", "Theater Director", "Pension Fund", "Tax Service",
		"Customs Service", "Police Chief", "Mayor", "Ombudsman", "Film Studio", "Bank",
	}
	verbs = []string{
		"Warns of", "Announces", "Rejects", "Backs", "Questions", "Delays",
		"Denies", "Confirms", "Plans", "Blocks", "Defends", "Criticizes",
		"Approves", "Cancels", "Investigates", "Expands", "Cuts", "Faces",
		"Demands", "Welcomes", "Postpones", "Challenges", "Unveils", "Halts",
		"Extends", "Suspends", "Proposes", "Signs", "Drops", "Revives",
	}
	objects = []string{
		"New Tax", "Gas Deal", "Pension Reform", "Media Law", "Internet Ban",
		"Budget Plan", "Border Rules", "Wage Increase", "Court Ruling", "Oil Exports",
		"Grain Corridor", "Election Date", "Vaccine Program", "Rail Project",
		"Mining License", "Housing Subsidy", "Visa Regime", "Fuel Prices",
		"Arms Contract", "Water Tariffs", "School Curriculum", "Heating Costs",
		"Bank Merger", "Airport Expansion", "Press Accreditation", "Trade Talks",
		"Prisoner Exchange", "Protest Permit", "Forest Fires Plan", "Debt Relief",
		"Nuclear Plant", "Harvest Forecast", "Migration Quota", "Ruble Policy",
		"Satellite Launch", "Bridge Repairs", "Theater Funding", "Museum Closure",
		"Ferry Service", "Coal Subsidy",
	}
	complements = []string{
		"Amid Protests", "After Talks Stall", "Ahead of Vote", "Despite Warnings",
		"in Siberia", "in the Far East", "for Second Year", "Under Pressure",
		"After Court Appeal", "as Prices Rise", "in Surprise Move", "Before Winter",
		"After Leak", "as Sanctions Bite", "in Closed Session", "Following Audit",
		"as Inflation Slows", "After Floods", "Amid Shortages", "at Summit",
		"in Moscow", "in Kyiv", "in the Caucasus", "Near Border", "at Last Minute",
		"Again", "for Now", "Without Debate", "on Appeal", "After Strike",
	}
)

// vocabulary is ordinary news prose; the generator draws from it with a skew
// so that some words are common and most are rare, as in real text.
var vocabulary = []string{
	"the", "of", "and", "to", "in", "a", "that", "for", "on", "said",
	"with", "was", "as", "by", "at", "from", "its", "has", "were", "had",
	"government", "officials", "year", "week", "people", "city", "region",
	"country", "report", "statement", "minister", "president", "court",
	"police", "company", "market", "prices", "plan", "law", "decision",
	"residents", "workers", "parliament", "authorities", "agency", "case",
	"election", "vote", "budget", "tax", "energy", "gas", "oil", "exports",
	"sanctions", "border", "security", "military", "talks", "agreement",
	"deal", "support", "opposition", "protest", "journalists", "media",
	"newspaper", "interview", "sources", "documents", "investigation",
	"evidence", "trial", "judge", "lawyer", "prison", "sentence", "charges",
	"bank", "ruble", "inflation", "growth", "economy", "industry", "factory",
	"farmers", "harvest", "grain", "wheat", "winter", "summer", "heating",
	"housing", "schools", "teachers", "hospitals", "doctors", "patients",
	"pensions", "salaries", "wages", "jobs", "unemployment", "migrants",
	"students", "university", "church", "culture", "theater", "museum",
	"film", "festival", "football", "team", "season", "match", "record",
	"recent", "local", "regional", "federal", "foreign", "domestic", "new",
	"former", "senior", "independent", "official", "public", "private",
	"major", "small", "large", "long", "short", "early", "late", "final",
	"first", "second", "third", "several", "many", "few", "most", "some",
	"however", "meanwhile", "although", "because", "while", "after",
	"before", "during", "since", "until", "despite", "against", "between",
	"announced", "confirmed", "denied", "warned", "reported", "claimed",
	"argued", "suggested", "expected", "planned", "approved", "rejected",
	"signed", "launched", "closed", "opened", "increased", "reduced",
	"raised", "cut", "delayed", "cancelled", "questioned", "criticized",
	"described", "explained", "noted", "added", "told", "asked", "called",
	"river", "bridge", "railway", "airport", "pipeline", "station", "road",
	"district", "village", "province", "capital", "coast", "forest",
	"million", "billion", "percent", "dozens", "hundreds", "thousands",
	"rules", "measures", "restrictions", "reforms", "changes", "costs",
	"funding", "contracts", "licenses", "permits", "fines", "payments",
	"crisis", "conflict", "war", "ceasefire", "negotiations", "summit",
	"allies", "partners", "neighbors", "rivals", "critics", "supporters",
	"quickly", "slowly", "publicly", "privately", "reportedly", "officially",
	"again", "still", "already", "also", "only", "even", "nearly", "about",
}

var linkHosts = []string{
	"example.org", "news.example.com", "archive.example.net", "data.example.org",
}
