package demo

import (
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// The demo newsroom: its bylines, its tags, and the material generated
// articles are made of. Names of staff and pseudonymous writers are
// invented; places are real, events are not.

var authorTable = []model.Author{
	{Name: "Elena Marchenko", Kind: model.AuthorStaff, Bio: "Elena Marchenko covers the economy, business and sanctions. (Demo byline.)"},
	{Name: "Daniel Whitford", Kind: model.AuthorStaff, Bio: "Daniel Whitford covers diplomacy and U.S.-Russia relations. (Demo byline.)"},
	{Name: "Irina Soboleva", Kind: model.AuthorStaff, Bio: "Irina Soboleva writes about culture, education and life in the regions. (Demo byline.)"},
	{Name: "Nikolai Sever", Kind: model.AuthorPseudonym, Bio: "Nikolai Sever is the pseudonym of a reporter who works inside Russia. (Demo byline.)"},
	{Name: "Marta Lis", Kind: model.AuthorPseudonym, Bio: "Marta Lis is the pseudonym of a reporter covering courts and human rights. (Demo byline.)"},
	{Name: "AFP", Kind: model.AuthorAgency, Bio: "Agence France-Presse, international news agency."},
	{Name: "Reuters", Kind: model.AuthorAgency, Bio: "Reuters, international news agency."},
	{Name: "Interfax", Kind: model.AuthorAgency, Bio: "Interfax, news agency."},
}

// Byline pools for generated articles: most are staff work, agencies file
// short news, and pseudonymous writers cover the riskiest beats.
var (
	staffWriters   = []string{"Elena Marchenko", "Daniel Whitford", "Irina Soboleva"}
	pseudonyms     = []string{"Nikolai Sever", "Marta Lis"}
	agencies       = []string{"AFP", "Reuters", "Interfax"}
	russianWriters = []string{"Nikolai Sever", "Irina Soboleva", "Marta Lis"}
)

var tagTable = []model.Tag{
	{Name: "U.S.", Description: "The United States and its policy toward Russia and Ukraine."},
	{Name: "US-Russia", Description: "Relations between Washington and Moscow."},
	{Name: "Lavrov", Description: "Sergei Lavrov, Russia's foreign minister since 2004."},
	{Name: "Diplomacy", Description: "Talks, envoys, summits and visas."},
	{Name: "Ukraine war", Description: "Russia's full-scale war against Ukraine and its consequences."},
	{Name: "Economy", Description: "Prices, wages, the ruble and the state budget."},
	{Name: "Sanctions", Description: "Western sanctions and how businesses and people live with them."},
	{Name: "Media", Description: "Newsrooms, journalists and the pressure on them."},
	{Name: "Censorship", Description: "Blocked sites, banned books, cancelled shows."},
	{Name: "Moscow", Description: "News from Russia's capital."},
	{Name: "St. Petersburg", Description: "News from Russia's second city."},
	{Name: "Kyiv", Description: "News from Ukraine's capital."},
	{Name: "Energy", Description: "Oil, gas, power and heating."},
	{Name: "Culture", Description: "Theater, film, music, books and the people who make them."},
	{Name: "Regions", Description: "Life outside the big cities."},
	{Name: "Courts", Description: "Trials, sentences and appeals."},
	{Name: "Human Rights", Description: "Political prisoners, protest and the rights of ordinary people."},
	{Name: "Internet", Description: "Connectivity, blocking, VPNs and online life."},
	{Name: "Education", Description: "Schools and universities."},
	{Name: "Health", Description: "Hospitals, doctors and public health."},
	{Name: "Environment", Description: "Climate, wildfires, pollution and nature."},
	{Name: "Arctic", Description: "The far north: its towns, ports and thawing ground."},
	{Name: "Migration", Description: "People leaving, arriving and living in between."},
	{Name: "Business", Description: "Companies large and small."},
	{Name: "Opinion", Description: "Columns and comment from our writers and guests."},
}

// headline is a family of generated articles: the title and summary with an
// optional "{}" filled from options, and the tags every member carries.
type headline struct {
	title, summary string
	tags           []string
	options        []string
}

// headlines yields more distinct titles than the generator needs. At most
// one seed tag appears per family (see seedTags).
var headlines = []headline{
	{"{} Theater Cancels Premiere After Surprise Inspection", "The theater in {} gave no reason for the decision, which came days before opening night.",
		[]string{"Culture", "Censorship"}, []string{"Perm", "Kazan", "Novosibirsk", "Yekaterinburg", "Samara"}},
	{"Court in {} Fines Local News Site Over Its Reporting", "The site's editors in {} say they will appeal and keep publishing.",
		[]string{"Courts", "Media", "Censorship"}, []string{"Tomsk", "Pskov", "Irkutsk", "Krasnodar", "Kaliningrad"}},
	{"Grocery Prices in {} Climb for a Third Straight Month", "Shoppers in {} say staples such as buckwheat, butter and eggs cost noticeably more than a year ago.",
		[]string{"Economy"}, []string{"Moscow", "St. Petersburg", "Omsk", "Voronezh", "Ufa"}},
	{"Residents of {} Report Outages of Popular Messaging Apps", "Users in {} described slow connections and failed voice calls for most of the week.",
		[]string{"Internet", "Censorship"}, []string{"Makhachkala", "Chelyabinsk", "Vladivostok", "Moscow", "Murmansk"}},
	{"Heating Plant Failure Leaves Parts of {} Without Warmth", "Repair crews worked through the night as temperatures in {} fell far below freezing.",
		[]string{"Energy", "Regions"}, []string{"Norilsk", "Yakutsk", "Barnaul", "Tver", "Arkhangelsk"}},
	{"University in {} Drops Its Course on Independent Journalism", "Students in {} say the course was one of the few places where they learned to check sources.",
		[]string{"Education", "Media"}, []string{"Yekaterinburg", "Saratov", "Tomsk", "St. Petersburg"}},
	{"Small Businesses in {} Struggle With Cross-Border Payments", "Owners of small firms in {} describe a patchwork of intermediaries, fees and delays.",
		[]string{"Business", "Sanctions", "Economy"}, []string{"Kazan", "Nizhny Novgorod", "Rostov-on-Don", "Moscow", "Kaliningrad"}},
	{"Wildfire Smoke Blankets {} as the Season Starts Early", "Health officials in {} advised residents to keep windows closed and limit time outdoors.",
		[]string{"Environment", "Health", "Regions"}, []string{"Krasnoyarsk", "Chita", "Yakutsk", "Irkutsk", "Khabarovsk"}},
	{"Hospital Staff in {} Protest Unpaid Overtime", "Nurses and junior doctors in {} say they have worked extra shifts for months without pay.",
		[]string{"Health", "Human Rights"}, []string{"Kurgan", "Ivanovo", "Penza", "Tula"}},
	{"Exiled Musicians From {} Play a Sold-Out Concert Abroad", "For many in the audience, the band from {} was a reminder of a city they can no longer visit.",
		[]string{"Culture", "Migration"}, []string{"St. Petersburg", "Yekaterinburg", "Novosibirsk", "Moscow"}},
	{"Librarians in {} Told to Remove Dozens of Titles From Shelves", "A list sent to libraries in {} names novels, memoirs and at least one children's book.",
		[]string{"Censorship", "Culture", "Regions"}, []string{"Vologda", "Smolensk", "Kirov", "Belgorod"}},
	{"Why Young Professionals Keep Leaving {}", "Programmers, doctors and designers from {} explain what pushed them to move.",
		[]string{"Migration", "Economy"}, []string{"Moscow", "St. Petersburg", "Novosibirsk", "Perm"}},
	{"Port of {} Handles Fewer Ships as Insurance Costs Rise", "Shipping agents in {} say higher premiums have made some routes unprofitable.",
		[]string{"Business", "Sanctions"}, []string{"Murmansk", "Novorossiysk", "Vladivostok", "Ust-Luga"}},
	{"Arctic Town of {} Counts the Cost of a Warmer Winter", "Thawing ground in {} has cracked foundations and buckled roads.",
		[]string{"Arctic", "Environment"}, []string{"Vorkuta", "Dudinka", "Salekhard", "Tiksi", "Pevek"}},
	{"Regional Newspaper in {} Prints Its Final Issue", "The paper in {} had appeared every week for more than sixty years.",
		[]string{"Media", "Regions"}, []string{"Kostroma", "Orenburg", "Astrakhan", "Syktyvkar"}},
	{"Kyiv {} Adapt to Scheduled Power Cuts", "Owners of small businesses in Kyiv describe how they keep working when the electricity goes off.",
		[]string{"Kyiv", "Energy"}, []string{"Cafés", "Bakeries", "Hair Salons", "Bookshops", "Gyms"}},
	{"Energy Exports Through {} Fall to a Multi-Year Low", "Traders say buyers are demanding bigger discounts and shipping fewer cargoes.",
		[]string{"Energy", "Economy", "Sanctions"}, []string{"Baltic Ports", "the Black Sea", "Arctic Terminals"}},
	{"Moscow Metro Extends Facial Recognition to {}", "Rights groups say the system is already used to detain people on their way to protests.",
		[]string{"Moscow", "Human Rights"}, []string{"Suburban Trains", "Bus Stops", "Station Entrances"}},
	{"Opinion: The Quiet Courage of Regional Reporters", "Local journalists take the greatest risks and get the least credit.",
		[]string{"Opinion", "Media", "Regions"}, nil},
	{"Opinion: Reading the News Through a VPN", "What it means when a whole audience has to smuggle its news in.",
		[]string{"Opinion", "Internet", "Censorship"}, nil},
	{"Opinion: Why Local Libraries Matter More Than Ever", "A reading room is one of the last places where nobody asks what you think.",
		[]string{"Opinion", "Culture"}, nil},
	{"Opinion: The Long Winter of Independent Theater", "Small stages keep going with fewer plays, smaller halls and no posters.",
		[]string{"Opinion", "Culture", "Censorship"}, nil},
	{"Opinion: What Exile Does to a Newsroom", "Distance changes how a newsroom reports, and who it reports for.",
		[]string{"Opinion", "Media", "Migration"}, nil},
	{"St. Petersburg {} Closes After Losing Its Lease", "Regulars say the city has lost one of its last independent venues.",
		[]string{"St. Petersburg", "Culture"}, []string{"Jazz Club", "Independent Bookshop", "Art Gallery", "Film Society"}},
	{"Consulates in {} Cut Visa Appointments for Russian Citizens", "Applicants in {} say the wait for an interview now stretches to several months.",
		[]string{"Diplomacy", "Migration"}, []string{"Yerevan", "Tbilisi", "Almaty", "Belgrade"}},
	{"Court in {} Sentences Blogger Over Anti-War Posts", "Supporters in {} gathered outside the courthouse on the morning of the verdict.",
		[]string{"Courts", "Human Rights", "Censorship", "Ukraine war"}, []string{"Ryazan", "Barnaul", "Kemerovo", "Ulyanovsk"}},
	{"Teachers in {} Asked to Report on Students' Online Activity", "Parents in {} say they learned about the request from their children.",
		[]string{"Education", "Internet", "Human Rights"}, []string{"Chelyabinsk", "Lipetsk", "Bryansk", "Orel"}},
	{"Families of Mobilized Men in {} Petition for Their Return", "Relatives in {} say they have had no reply from the authorities for months.",
		[]string{"Human Rights", "Ukraine war", "Regions"}, []string{"Novosibirsk", "Tyumen", "Kursk"}},
	{"Russian Applicants in {} Wait Months for U.S. Visa Interviews", "Students and families in {} describe long queues for a handful of slots.",
		[]string{"U.S.", "Migration"}, []string{"Warsaw", "Astana", "Belgrade"}},
	{"Mobile Internet Shutdowns Spread to {}", "Residents of {} say card payments, taxis and maps stop working during the outages.",
		[]string{"Internet", "Regions"}, []string{"Tula", "Penza", "Yaroslavl", "Omsk"}},
	{"Ruble {} Against the Dollar Ahead of Central Bank Meeting", "Analysts expect the central bank to keep its key rate high to fight inflation.",
		[]string{"Economy"}, []string{"Slips", "Steadies", "Rebounds"}},
	{"Volunteers in {} Keep Animal Shelters Running", "Donations from abroad cover most of the shelters' costs, volunteers in {} say.",
		[]string{"Regions"}, []string{"Tver", "Pskov", "Kirov", "Kaluga"}},
	{"Film Festival in {} Drops Documentary From Its Program", "Organizers in {} cited \"technical reasons\" for the change.",
		[]string{"Culture", "Censorship"}, []string{"Sochi", "Vyborg", "Kazan"}},
	{"Cultural Exchanges Between U.S. and Russian {} Wither", "Programs that survived decades of tension have quietly ended.",
		[]string{"US-Russia", "Culture"}, []string{"Museums", "Universities", "Orchestras"}},
	{"Moscow Restaurants Feel the Pinch as Diners Cut Back", "Owners say customers come less often and order less when they do.",
		[]string{"Moscow", "Economy", "Business"}, nil},
	{"Readers Ask: How Do I Reach a Blocked Website Safely?", "Our answers to the questions readers send us most often.",
		[]string{"Internet", "Censorship"}, nil},
}

// seasons keeps seasonal families (by title) to the months they fit, so
// that no wildfire smoke drifts over a January city.
var seasons = map[string][]time.Month{
	"Heating Plant Failure Leaves Parts of {} Without Warmth": {time.October, time.November, time.December, time.January, time.February, time.March},
	"Wildfire Smoke Blankets {} as the Season Starts Early":   {time.April, time.May, time.June, time.July},
	"Arctic Town of {} Counts the Cost of a Warmer Winter":    {time.January, time.February, time.March, time.April},
	"Kyiv {} Adapt to Scheduled Power Cuts":                   {time.October, time.November, time.December, time.January, time.February, time.March},
}

// Sentences for generated bodies: neutral, generic and free of names.
var sentences = []string{
	"Officials did not respond to a request for comment by the time of publication.",
	"The figures could not be independently verified.",
	"Several residents spoke on condition of anonymity, citing fear of reprisals.",
	"Local media reported the news first, citing people familiar with the matter.",
	"Prices for basic goods have risen steadily over the past year, according to regional statistics.",
	"The decision was posted on the regional government's website late on Friday.",
	"Lawyers for those involved said they would appeal.",
	"Similar cases have been reported in at least a dozen regions since the start of the year.",
	"Analysts say the trend is unlikely to reverse in the coming months.",
	"Some of those affected have started an online petition, which has gathered several thousand signatures.",
	"Independent monitors say the official numbers understate the problem.",
	"A spokesperson for the company declined to comment.",
	"The ministry said the measure was temporary but gave no end date.",
	"Volunteers have organized deliveries of food and medicine to those most in need.",
	"Researchers who study the region say the change has been years in the making.",
	"Critics argue the new rules are vague enough to be applied to almost anyone.",
	"The city administration said the work would be finished by the end of the month.",
	"Footage shared on social media showed long queues outside the building.",
	"Traders said demand had been weaker than expected.",
	"Economists point to a shortage of workers as one reason wages are rising.",
	"The case has drawn attention from human rights groups at home and abroad.",
	"Schools in the area switched to remote lessons for the rest of the week.",
	"Residents said the problem was not new, but it had never lasted this long.",
	"The regulator said it was acting on complaints from the public.",
	"Attendance was higher than the organizers had expected.",
	"Many of the people we interviewed asked that only their first names be used.",
	"Our newsroom reviewed the documents and confirmed them with two people who had seen them.",
	"Local officials blamed the delay on a shortage of spare parts.",
	"The changes come into force on the first day of next month.",
	"Owners say they have raised prices twice this year to cover rising costs.",
	"Environmental groups have warned about the risk for years.",
	"Demand for VPN services jumped sharply in the days that followed.",
	"Nobody has been charged so far.",
	"It was not immediately clear how many people were affected.",
	"The story is developing, and we will update this article as we learn more.",
	"For now, most people we spoke to are simply waiting to see what happens next.",
	"A similar proposal was dropped two years ago after a public outcry.",
	"The organization has worked from abroad since its founders were forced to leave the country.",
}

// Paragraphs that show off Markdown beyond plain prose.
var (
	quotes = []string{
		`> "We just want to be able to do our work," one resident told us. "Nobody is asking for more than that."`,
		`> "Every month it gets a little harder, and every month we find a way," said a shop owner who asked not to be named.`,
		`> "People here are tired, but they are not indifferent," a local teacher said.`,
	}
	linkParagraphs = []string{
		"The full text of the decision is [available online](https://example.org/documents/decision) in Russian.",
		"Read the [regional statistics office's report](https://example.org/reports/regional-prices) for the underlying figures.",
		"Our [earlier reporting](https://example.org/archive) traced how the situation developed.",
	}
	emphasisParagraphs = []string{
		"The measure is *not* final, officials stressed, and could still change before it takes effect.",
		"What matters most, residents said, is **how long** the situation lasts.",
	}
	bulletIntro = "What we know so far:"
	bullets     = []string{
		"The rules apply to every registered outlet in the region.",
		"Fines start at tens of thousands of rubles.",
		"An appeal can be filed within ten days.",
		"Officials have not said how the rules will be enforced.",
		"At least three similar cases are pending in other regions.",
	}
)

const generatedDisclaimer = "*This is demo text for tamizdat's sample site. The headline is invented, and so are the events in this article.*"

// Russian-language articles, so the site shows transliterated slugs and
// Cyrillic text.
var russianStories = []struct {
	title, summary string
	tags           []string
}{
	{"Как независимые редакции работают в эмиграции", "Журналисты рассказывают, как выпускать новости, когда редакция разбросана по разным странам.", []string{"Media", "Migration"}},
	{"Цены на продукты в регионах выросли за год", "Больше всего подорожали масло, яйца и гречка.", []string{"Economy", "Regions"}},
	{"Отключения мобильного интернета: что известно", "Собрали ответы на главные вопросы читателей.", []string{"Internet", "Censorship"}},
	{"Театр в Перми отменил премьеру после проверки", "Руководство театра не объяснило причин.", []string{"Culture", "Censorship"}},
	{"Как читать заблокированные сайты безопасно", "Короткая памятка для тех, кто читает нас из России.", []string{"Internet", "Media"}},
	{"Почему молодые специалисты уезжают из Новосибирска", "Программисты, врачи и дизайнеры объясняют, что заставило их переехать.", []string{"Migration", "Economy"}},
}

const russianDisclaimer = "*Это демонстрационный текст для примерного сайта tamizdat. Заголовок и события в статье вымышлены.*"

var russianSentences = []string{
	"Власти не ответили на запрос о комментарии.",
	"Проверить эти данные независимо не удалось.",
	"Несколько жителей попросили не называть их имен, опасаясь преследования.",
	"Первыми об этом сообщили местные СМИ.",
	"Цены на основные продукты растут весь последний год.",
	"Юристы пострадавших заявили, что обжалуют решение.",
	"Похожие случаи известны по меньшей мере в десяти регионах.",
	"Аналитики считают, что в ближайшие месяцы ситуация не изменится.",
	"Волонтеры организовали доставку еды и лекарств тем, кто в ней больше всего нуждается.",
	"Критики говорят, что новые правила сформулированы слишком расплывчато.",
	"Спрос на VPN-сервисы в эти дни резко вырос.",
	"Многие собеседники попросили называть их только по имени.",
	"Редакция изучила документы и подтвердила их подлинность у двух источников.",
	"Мы продолжим следить за развитием событий.",
	"Пока большинство людей, с которыми мы поговорили, просто ждут, что будет дальше.",
}
